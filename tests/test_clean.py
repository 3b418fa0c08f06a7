"""Cleaning rules, each on the kind of line or block it exists for."""

from crawler.clean import clean_body
from crawler.clean.text import Line, clean_lines

STORY = [
    "12月16日,有消息称字节跳动违规用OpenAI技术研发大模型,被OpenAI封禁账户。",
    "此前报道:",
    "OpenAI在发现字节跳动秘密使用其技术后,立即采取行动,暂停了字节跳动相关账户的使用权限。",
]


def lines(*texts: str) -> list[Line]:
    return [Line(t) for t in texts]


def test_recommendation_heading_cuts_everything_after_it() -> None:
    result = clean_lines(
        lines(
            *STORY,
            "相关推荐",
            "欧冠小组赛战罢!前八出炉",
            "欧冠小组赛战罢!前八出炉",
            "里芃芃体育",
            "2026-01-29 07:48:52",
        )
    )
    assert result.lines == STORY
    assert result.audit.rules["recommend_heading"] == {
        "blocks": 5,
        "chars": 4 + 12 + 12 + 5 + 19,
        "cut": ["相关推荐", "欧冠小组赛战罢!前八出炉", "欧冠小组赛战罢!前八出炉"],
    }


def test_a_category_recommendation_heading_is_recognised() -> None:
    assert clean_lines(lines(*STORY, "科技分類資訊推薦", "二十年前的586電腦")).lines == STORY


def test_furniture_lines_are_dropped_by_name() -> None:
    result = clean_lines(
        lines(
            "网易首页 > 新闻中心 > 新闻 > 正文",
            "0",
            "分享至",
            "跳转到主要内容",
            *STORY,
            "无障碍浏览 进入关怀版",
        ),
    )
    assert result.lines == STORY
    assert set(result.audit.rules) >= {"breadcrumb", "counter", "share", "skip_link", "accessibility"}


def test_attribution_and_original_title_become_metadata() -> None:
    result = clean_lines(lines("(原标题:字节跳动回应被OpenAI封禁账户)", *STORY, "来源：中时"))
    assert result.lines == STORY
    assert result.origin == "中时"
    assert result.original_title == "字节跳动回应被OpenAI封禁账户"


def test_captions_and_datelines_are_dropped_but_subheadings_kept() -> None:
    result = clean_lines(
        lines(
            "2025年03月15日15:30:23 科技 1970",
            "openai圖窮匕見,開始玩陰的了。",
            "OpenAI發現不對勁,直接上書白宮 - 天天要聞",
            "「與華為一樣」",
            "這還真是投其所好。",
        )
    )
    assert result.lines == ["openai圖窮匕見,開始玩陰的了。", "「與華為一樣」", "這還真是投其所好。"]


def test_a_sentence_that_mentions_a_subscription_is_story_text() -> None:
    sentence = "该公司表示，付费订阅用户在过去一年增长了三倍，订阅收入已经超过广告收入，成为最大的收入来源。"
    assert clean_lines(lines(sentence)).lines == [sentence]


def test_a_trailing_run_of_headlines_is_a_link_farm_but_list_items_are_story() -> None:
    farm = [
        "人工智能公司 OPENAI 将于下月9日起限制不支持地区的 API 访问",
        "OpenAI前首席Ilya，成立新公司定位安全智能",
        "OpenAI 和 Anthropic 无视了规则",
    ]
    assert clean_lines(lines(*STORY, *farm)).lines == STORY
    items = [
        Line("快速发展的技术领域的合同解释", item=True),
        Line("云服务独家协议", item=True),
        Line("技术规避手段", item=True),
    ]
    assert clean_lines([*lines(*STORY), *items]).lines == [
        *STORY,
        "快速发展的技术领域的合同解释",
        "云服务独家协议",
        "技术规避手段",
    ]


def test_keyword_links_keep_their_text_and_link_farms_go() -> None:
    html = (
        '<div class="entry"><p>证券时报报导，目前OpenAI的API向161个国家和地区开放，但<a href="/tag/cn">中国</'
        'a>未包含在其中。</p><ul><li><a href="/1">相关一</a></li><li><a href="/2">相关二</a></li><li><a '
        'href="/3">相关三</a></li></ul><div class="share-bar">分享到微博</div><script>var x = "广告";</'
        "script></div>"
    )
    result = clean_body(html)
    assert result.body == "证券时报报导，目前OpenAI的API向161个国家和地区开放，但中国未包含在其中。"
    assert result.audit.rules["link_density"]["blocks"] == 1
    assert result.audit.rules["generic_noise"]["blocks"] == 2


def test_source_noise_selectors_go_first_and_are_audited() -> None:
    html = (
        '<div><p class="notice">大陆网友注意：本文链接请勿点击。</p><p>正文第一段的内容足够长，'
        "是真正的新闻报道文字。</p></div>"
    )
    result = clean_body(html, noise_selectors=("p.notice",))
    assert result.body == "正文第一段的内容足够长，是真正的新闻报道文字。"
    assert result.audit.as_dict()["rules"]["source_noise"] == {
        "blocks": 1,
        "chars": 16,
        "cut": ["大陆网友注意：本文链接请勿点击。"],
    }


def test_broken_html_still_gives_the_story() -> None:
    html = (
        "<div><p>第一段没有闭合标签的新闻正文内容，依然应该被完整地提取出来。<p>第二段<b>加粗未闭合，"
        "\x00也含有空字节。</div></span></p>"
    )
    assert (
        clean_body(html).body
        == "第一段没有闭合标签的新闻正文内容，依然应该被完整地提取出来。\n第二段加粗未闭合，也含有空字节。"
    )


def test_an_outlets_own_app_or_channel_promotion_flattened_into_the_story_is_cut() -> None:
    """The lines closing 2015 NetEase stories (the real pages are not among ours; the lines are
    theirs), and a story sentence that introduces a list with a colon, which stays."""
    intro = "网易方面回应称："
    result = clean_lines(
        lines(
            *STORY,
            intro,
            "网易财经 会赚钱的客户端：",
            '网易携手华泰证券推出"打新神器"：',
            "更多精彩资讯请点击 网易股票",
        )
    )
    assert result.lines == [*STORY, intro]
    assert result.audit.rules["app_promo"]["blocks"] == 3
