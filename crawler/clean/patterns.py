"""Every pattern cleaning uses, in one reviewable place: headings that start a link farm, lines
that are page furniture, and the CSS selectors of generic noise blocks.

Thresholds count characters, not words: a Chinese clause is one whitespace token.
"""

import re

# A line equal to one of these (punctuation and spaces ignored) starts a recommendation block:
# everything from it to the end of the body is cut.
RECOMMEND_HEADINGS = frozenset(
    {
        "热点推荐",
        "相关推荐",
        "相关阅读",
        "相关文章",
        "推荐阅读",
        "猜你喜欢",
        "热门跟贴",
        "热门跟帖",
        "头条要闻",
        "延伸阅读",
        "热门推荐",
        "为您推荐",
        "更多推荐",
        "精彩推荐",
        "相关新闻",
        "热门文章",
        "科技分類資訊推薦",
        "相關推薦",
        "相關閱讀",
        "相關文章",
        "推薦閱讀",
        "熱門推薦",
        "相關新聞",
        "喜欢这篇文章",
        "喜歡這篇文章",
        "网友评论",
        "我要评论",
        "发表评论",
        "责任编辑",
        "小编最近文章",
        "作者最近文章",
    }
)
# A line that starts with one of these opens the comments below a story: cut like a heading.
RECOMMEND_PREFIXES = ("网友评论仅供其表达个人看法", "目前没有热门跟贴", "目前没有跟贴")
# A heading is also recognised when it is one of the above followed by a category ("科技分類資訊推薦").
RECOMMEND_SUFFIXES = ("資訊推薦", "资讯推荐", "相关推荐", "热点推荐")

# Whole-line furniture: (rule name, pattern, longest line it may drop, in characters; None: any).
# Limits keep a story sentence that merely mentions a subscription or a copyright from being cut.
NOISE_LINES: tuple[tuple[str, re.Pattern[str], int | None], ...] = (
    ("counter", re.compile(r"^[\d,.万kK+]+$"), None),
    (
        "share",
        re.compile(
            r"^(分享至|分享到|分享|收藏|举报|評論|评论|点赞|打赏|转发|新浪微博分享|微信|微博|QQ空间)$"
        ),
        None,
    ),
    ("breadcrumb", re.compile(r"^(首页|\S{1,8}首页)\s*[>›»]|\s[>›»]\s[^>›»]*\s[>›»]\s"), 60),
    (
        "skip_link",
        re.compile(r"^(跳转到主要内容|跳到主要内容|跳至主要内容|skip to (main )?content)$", re.I),
        None,
    ),
    ("notice", re.compile(r"^(大陆网友注意|备注：翻墙)"), None),
    ("site_help", re.compile(r"常见问题.{0,12}点击|请点击.{0,6}这里"), 60),
    (
        "call_to_action",
        re.compile(
            r"订阅我们|訂閱我們|立即订阅|点击订阅|newsletter|每周精选|随时退订|扫码|掃碼|关注公众号|關注公眾號|下载.{0,4}APP|关注我们|關注我們|相关资讯请关注|相關資訊請關注",
            re.I,
        ),
        60,
    ),
    ("view_counter", re.compile(r"本文已被查看|阅读量|閱讀量|浏览次数|\d+\s*(次浏览|次阅读|人阅读)"), 40),
    ("login", re.compile(r"^(登录|登入|注册|註冊|登錄)(\s*[|/]?\s*(注册|註冊|登录|登錄))?$"), None),
    ("licence", re.compile(r"ICP证|ICP备|ICP證|公网安备|公安局.{0,12}备案|备案号|经营许可证"), 120),
    (
        "copyright",
        re.compile(r"版权所有|版权属于|版權所有|copyright|©|all rights reserved|所有注册商标", re.I),
        120,
    ),
    ("report", re.compile(r"举报电话|举报邮箱|举报专线|违法和不良信息|有害信息举报"), 120),
    ("accessibility", re.compile(r"无障碍浏览|进入关怀版|無障礙瀏覽"), 40),
    (
        "caption",
        re.compile(
            r"\s[-–—]\s*(天天要聞|天天要闻)$|图为|圖為|^(图|圖|图片|圖片|摄影|攝影)\s*[/／:：]|^[（(]?(图片来源|圖片來源)"
        ),
        80,
    ),
    ("promo", re.compile(r"^[🔥👉📢▶►★☆]"), 80),
    (
        # an outlet's own app or channel, announced with a colon or a "click": 2015 NetEase stories
        # end in "网易财经 会赚钱的客户端：", "网易携手华泰证券推出"打新神器"：",
        # "更多精彩资讯请点击 网易股票"
        "app_promo",
        re.compile(
            r"(客户端|APP|App|app|神器[\"”」]?)\s*[：:]$|携手.{1,12}推出.{0,12}[：:]$|"
            r"^更多.{0,8}(资讯|内容|新闻|資訊|內容|新聞).{0,4}(请点击|請點擊|点击|點擊|请关注|請關注|尽在|盡在)"
        ),
        40,
    ),
    ("player", re.compile(r"^您的浏览器(暂时)?(无法|不支持)播放|^您的浏览器不支持.{0,6}(视频|video)"), 40),
    (
        "disclaimer",
        re.compile(
            r"如有侵权.{0,6}(联系|删除)|不代表(本站|本网|网易|本平台).{0,4}(立场|观点)|仅代表作者(本人|个人)?观点"
        ),
        80,
    ),
)

# A sign-off ends the story: the editor's line ("责任编辑：刘响", "[责任编辑：刘斌]", "（编辑：周雁）"),
# the source credit at the end ("本文来源：快科技"), an end mark ("- THE END -"). Whatever follows it
# (the editor's other articles, a news list, reaction buttons) is page furniture.
SIGNOFF_LINE = re.compile(
    r"^[\[【（(]?\s*(?:(?P<label>责任编辑|責任編輯|责编|責編|值班编辑|编辑|編輯|校对|校對|审核|審核|审校|监制|本文来源|文章来源|"
    r"转载请注明出处)\s*[:：]\s*(?P<value>[^。！？!?]{0,24}?)|[-—–_=\s]*(?:THE\s*END|END|完)[-—–_=\s]*)\s*[\]】）)]?$",
    re.I,
)
# Previous / next article links flattened into the story's last line: the line ends before them
INLINE_NAV = re.compile(r"\s*(?:【(?:上一篇|下一篇)】|(?:上一篇|下一篇)\s*[:：])")
SIGNOFF_ORIGIN_LABELS = ("本文来源", "文章来源")  # a sign-off that names the original publisher
ORIGIN_LINE = re.compile(
    r"^[（(]?\s*(?:来源|來源|稿源|出处|出處|转载自|轉載自)\s*[:：]\s*(?P<origin>[^）)]{1,40}?)\s*[）)]?$"
)
ORIGINAL_TITLE_LINE = re.compile(
    r"^[（(]\s*原标题\s*[:：]\s*(?P<title>.+?)\s*[）)]$|^原标题\s*[:：]\s*(?P<bare>.+)$"
)
# Lines that carry a publication time plus at most a few short tokens (category, counter, author).
META_MARKERS = re.compile(r"发表于|發表於|发布于|發佈於|发布时间|發布時間|更新时间|更新時間")
META_LINE_MAX_EXTRA = 24  # characters besides the time itself, or it is prose that mentions a date
SENTENCE_END = tuple("。！？!?.…；;」』”\"'）)")
CONTENT_MIN_CHARS = 20  # a line this long counts as story text even without end punctuation
TAIL_RUN_MIN = 3  # this many headline-like lines at the end of a body are a link farm...
LIST_INTRO_END = ("：", ":")  # ...unless the story's last sentence introduces them as its list
BULLETS = ("•", "·", "-", "*", "–", "▪", "◦")

# Block-level noise found on any site, tested in one pass over the body's elements: by tag, by
# the hidden attributes, and by words in class or id (CSS `[class*=...]` semantics, any case).
NOISE_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "iframe",
        "form",
        "button",
        "nav",
        "footer",
        "aside",
        "svg",
        "figcaption",
        "template",
        "input",
        "select",
        "textarea",
        "title",  # a <title> misplaced in the body
    }
)
NOISE_CLASS_ID = re.compile(
    r"share|comment|advert|banner-ad|adslot|breadcrumb|related|recommend|newsletter|subscribe|social|"
    r"copyright|sidebar|(?:^|[\s_-])ads?(?:$|[\s_-])",
    re.I,
)
LINK_DENSE_TAGS = frozenset({"ul", "ol", "div", "section", "table", "dl", "p"})
LINK_DENSITY_MAX = 0.6  # share of a block's characters inside links above which it is a link farm
LINK_DENSE_MIN_LINKS = 3  # fewer links than this is a sentence with links, not a farm
