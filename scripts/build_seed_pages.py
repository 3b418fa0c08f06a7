"""Build the test pages from ../shared/seeds: each seed's text wrapped in the HTML structure its
site really uses, with the noise where the site puts it, plus each seed as a flat page.

    python scripts/build_seed_pages.py ../shared/seeds

Writes tests/fixtures/pages/<name>.html.gz; review them, then run scripts/gen_fixture.py.
"""

from __future__ import annotations

import gzip
import html
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def between(items: list[str], first: str, last: str) -> list[str]:
    start = next(i for i, x in enumerate(items) if x.startswith(first))
    end = next(i for i, x in enumerate(items) if x.startswith(last) and i >= start)
    return items[start : end + 1]


def write(name: str, page: str, encoding: str = "utf-8") -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.html.gz").write_bytes(gzip.compress(page.encode(encoding), mtime=0))


def netease(seed: list[str]) -> None:
    title = seed[1]
    story = between(seed, "12月16日", "未来,随着")
    paras = "\n".join(
        f"<p><b>{esc(p)}</b></p>" if p == "字节跳动被曝秘密使用OpenAI技术,账户被暂停" else f"<p>{esc(p)}</p>"
        for p in story
    )
    farm_lines = between(seed, "欧冠小组赛战罢", "2025-06-30 16:11:45")
    farm = []
    for i in range(0, len(farm_lines) - 3, 4):
        head, _, outlet, when = farm_lines[i : i + 4]
        farm.append(
            '<li class="post_recommend"><a class="post_recommend_img" href="https://www.163.com/dy/article/'
            f'K{i:03d}ABCDE0001.html"><img src="https://nimg.ws.126.net/r{i}.jpg" alt="{esc(head)}"></a><div '
            'class="post_recommend_info"><h3><a href="https://www.163.com/dy/article/'
            f'K{i:03d}ABCDE0001.html">{esc(head)}</a></h3><p class="post_recommend_time">{esc(outlet)} '
            f"{esc(when)}</p></div></li>"
        )
    side = seed[seed.index("头条要闻") : seed.index("无障碍浏览 进入关怀版")]
    body = f"""
<p class="otitle">(原标题:{esc(title)})</p>
<p class="f_center"><img src="https://nimg.ws.126.net/bytedance-logo.jpg" alt=""><br>{esc(seed[5])}</p>
{paras}"""
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(title)}|openai|字节跳动_网易新闻</title>
<meta name="keywords" content="openai,字节跳动">
<meta property="article:published_time" content="2023-12-16T10:25:32+08:00">
</head><body>
<div class="ns_area N-nav-channel"><a href="https://news.163.com/">新闻</a> <a href="https://sports.163.com/">体育</a> <a href="https://ent.163.com/">娱乐</a></div>
<div class="container clearfix"><div class="post_main">
<div class="post_crumb"><a href="https://www.163.com/">网易首页</a> &gt; <a href="https://news.163.com/">新闻中心</a> &gt; <a href="https://news.163.com/world/">新闻</a> &gt; 正文</div>
<h1 class="post_title">{esc(title)}</h1>
<div class="post_info">2023-12-16 10:25:32 来源: <a href="https://www.thepaper.cn/">澎湃新闻</a></div>
<div class="post_top_share"><span class="post_top_tie_count">0</span> <span>分享至</span></div>
<div class="post_content"><div class="post_body">{body}
</div>
<div class="post_author"><span class="post_author_name">责任编辑：李明</span></div>
<div class="post_recommends js-tab-mod" id="post_recommend"><div class="post_recommends_titles"><span>相关推荐</span> <span>热点推荐</span></div>
<ul class="post_recommends_ul">{"".join(farm)}</ul></div>
<div id="post_comment_area"><h3>热门跟贴</h3><p>还没有人跟贴，发表一下你的看法吧</p></div>
</div></div>
<div class="post_side" id="epContentRight"><p class="post_side_time">2026-01-29 08:59:00</p>
{"".join(f'<div class="post_side_mod"><a href="https://news.163.com/">{esc(x)}</a></div>' for x in side)}</div></div>
<div class="N-footer"><a href="https://www.163.com/">无障碍浏览</a> <a href="https://www.163.com/">进入关怀版</a></div>
</body></html>"""
    write("netease", page)
    old = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>{esc(title)}_网易新闻</title></head><body>
<div id="epContentLeft"><h1>{esc(title)}</h1>
<div class="post_time_source">2023-12-16 10:25:32　来源: <a id="ne_article_source" href="https://www.thepaper.cn/">澎湃新闻</a></div>
<div class="post_text" id="endText">{body}
<div class="ep-source cDGray"><span class="left">本文来源：澎湃新闻</span> <span class="ep-editor">责任编辑：李明_NN1234</span></div>
</div></div>
<div id="epContentRight">{"".join(f'<p><a href="https://news.163.com/">{esc(x)}</a></p>' for x in side[:8])}</div>
</body></html>"""
    write("netease_gbk", old.replace("・", "·"), encoding="gbk")  # GBK has no U+30FB


def bannedbook(fragment: str) -> None:
    fragment = fragment.replace(
        "</h2>", '</h2> <div class="postmeta">发表于 2024-06-25 21:52 | 作者：禁闻网</div>', 1
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="UTF-8"><title>OpenAI将终止中国服务 陆新创公司恐将迎来灭顶之灾 - 禁闻网</title>
<link rel="alternate" type="application/rss+xml" href="https://www.bannedbook.org/bnews/feed"></head>
<body class="single"><div id="header"><h1><a href="https://www.bannedbook.org/">禁闻网</a></h1>
<ul id="nav"><li><a href="https://www.bannedbook.org/bnews/cnnews/">中国新闻</a></li><li><a href="https://www.bannedbook.org/bnews/itnews/">科技新闻</a></li><li><a href="https://www.bannedbook.org/bnews/comments/">评论</a></li></ul></div>
<div id="content"><div class="post">{fragment}
</div></div>
<div id="sidebar"><h3>热门文章</h3><ul><li><a href="https://www.bannedbook.org/bnews/a/1.html">一</a></li><li><a href="https://www.bannedbook.org/bnews/a/2.html">二</a></li><li><a href="https://www.bannedbook.org/bnews/a/3.html">三</a></li></ul></div>
<div id="footer">Copyright © 禁闻网 All rights reserved.</div></body></html>"""
    write("bannedbook", page)


def daydaynews(seed: list[str]) -> None:
    title = seed[0]
    story = between(seed, "openai圖窮匕見", "算力可以被管制")
    parts = []
    for line in story:
        if line.endswith(" - 天天要聞"):
            parts.append(
                f'<div class="img-box"><img src="https://i.daydaynews.cc/p/{len(parts)}.jpg" '
                f'alt="{esc(line)}"><p>{esc(line)}</p></div>'
            )
        elif line.startswith("「") or line in ("競爭不過就玩陰的", "能封得住嗎?"):
            parts.append(f"<h2>{esc(line)}</h2>")
        else:
            parts.append(f"<p>{esc(line)}</p>")
    rec = seed[seed.index("科技分類資訊推薦") + 1 :]
    cards = []
    for i in range(0, len(rec) - 2, 3):
        cap, head, teaser = rec[i : i + 3]
        cards.append(
            f'<li><a href="https://daydaynews.cc/zh-hant/technology/{9000 + i}.html"><img src="https://'
            f'i.daydaynews.cc/t/{i}.jpg" alt="{esc(cap)}"><span class="cap">{esc(cap)}</span></a><a '
            f'class="title" href="https://daydaynews.cc/zh-hant/technology/{9000 + i}.html">{esc(head)}</'
            f'a><p class="summary">{esc(teaser)}</p></li>'
        )
    page = f"""<!DOCTYPE html>
<html lang="zh-Hant"><head><meta charset="utf-8"><title>{esc(title)} - 天天要聞</title></head><body>
<header class="site-header"><a class="logo" href="/zh-hant/">天天要聞</a><nav><a href="/zh-hant/">首頁</a> <a href="/zh-hant/technology/">科技</a> <a href="/zh-hant/finance/">財經</a></nav></header>
<div class="main"><div class="article">
<div class="article-header"><h1>{esc(title)}</h1>
<div class="article-meta"><span class="time">2025年03月15日15:30:23</span> <span class="category">科技</span> <span class="views">1970</span></div></div>
<div class="article-content">
{chr(10).join(parts)}
<h3>科技分類資訊推薦</h3>
<ul class="news-list">{"".join(cards)}</ul>
</div></div></div>
<footer><p>© 2025 天天要聞</p></footer></body></html>"""
    write("daydaynews", page)


def solidot(seed: list[str]) -> None:
    title = "OpenAI 和微软的紧密关系出现裂缝"
    text = next(x for x in seed if x.startswith("微软已向 OpenAI"))
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>奇客Solidot | {esc(title)}</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="/index.rss"></head><body>
<div class="nav_top"><a href="/login">登录</a> <a href="/register">注册</a></div>
<div class="left_nav"><ul><li>文章<ul><li><a href="/?issue=20251005">往日文章</a></li><li><a href="/polllist">往日投票</a></li></ul></li>
<li>皮肤<ul><li><a href="/?theme=blue">蓝色</a></li><li><a href="/?theme=yellow">橙色</a></li><li><a href="/?theme=green">绿色</a></li><li><a href="/?theme=clightgreen">浅绿色</a></li></ul></li></ul>
<ul class="fenl"><li>分类:</li><li><a href="//www.solidot.org/">首页</a></li><li><a href="//linux.solidot.org/">Linux</a></li><li><a href="//science.solidot.org/">科学</a></li><li><a href="//technology.solidot.org/">科技</a></li></ul></div>
<div class="gzwm"><h2>关注我们：</h2><p>solidot新版网站常见问题，请点击<a href="/QA">这里</a>查看。</p></div>
<div class="block_m"><div class="ct_tittle"><div class="bg_htit"><h2>{esc(title)}</h2></div></div>
<div class="clicks"><b>本文已被查看 6692 次</b></div>
<div class="talk_time"><a href="/~Wilson">Wilson</a> (42865)发表于 2024年10月18日 22时58分 星期五 <a href="//service.weibo.com/share/share.php?url=//www.solidot.org/story?sid=79532">新浪微博分享</a></div>
<div class="p_content"><div class="topic"><a href="/search?tid=54"><img src="https://icon.solidot.org/images/topics/topicbiz.png?123" alt="商业"></a></div>
<div class="p_mainnew"><i>来自永生粮</i><br>
{esc(text)}<br>
<a href="https://www.nytimes.com/2024/10/17/technology/microsoft-openai-partnership-deal.html">https://www.nytimes.com/2024/10/17/technology/microsoft-openai-partnership-deal.html</a><br>
<a href="https://archive.ph/Bas23">https://archive.ph/Bas23</a></div></div></div>
<div class="footer"><p>会玩的人才会学</p><ul><li><a href="/">首页</a></li><li><a href="http://www.zhiding.cn">至顶网</a></li><li><a href="/authors">编辑介绍</a></li><li><a href="/index.rss">RSS</a></li></ul>
<p>本站提到的所有注册商标属于他们各自的所有人所有，评论属于其发表者所有，其余内容版权属于 solidot.org(2009-) 所有 。</p>
<p>京ICP证161336号 <a href="http://beian.miit.gov.cn">京ICP备15039648号-15</a></p></div>
</body></html>"""
    write("solidot", page)


def aibase(seed: list[str]) -> None:
    title = seed[1]
    story = between(seed, "微软就OpenAI", "• 行业影响")
    heads = {"价值数十亿美元的争议", "技术操作与合同精神的对抗", "AI领域的权力博弈"}
    parts, items = [], []
    for line in story:
        if line.startswith("•"):
            items.append(f"<li>{esc(line.lstrip('• '))}</li>")
            continue
        if items:
            parts.append(f"<ul>{''.join(items)}</ul>")
            items = []
        tag = "h2" if line == story[0] else "h3" if line in heads else "p"
        parts.append(f"<{tag}>{esc(line)}</{tag}>")
    if items:
        parts.append(f"<ul>{''.join(items)}</ul>")
    related = seed[seed.index("相关文章") + 1 :]
    page = f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{esc(title)} | AIbase</title>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{title}","datePublished":"2026-03-18T10:30:00+08:00","author":{{"@type":"Person","name":"AIbase基地"}}}}</script>
</head><body>
<a class="skip-link" href="#main">跳转到主要内容</a>
<header><nav><a href="/zh">首页</a> <a href="/zh/news">资讯</a> <a href="/zh/tools">AI工具</a></nav></header>
<main id="main"><article><h1>{esc(title)}</h1>
<div class="post-content">
{chr(10).join(parts)}
</div></article>
<section class="newsletter-cta"><h3>喜欢这篇文章?</h3><p>订阅我们的 Newsletter,获取最新 AI 资讯、产品评测和项目推荐,每周精选直达邮箱。</p><p>每周精选完全免费随时退订</p></section>
<section class="related-articles"><h2>相关文章</h2>{"".join(f"<p>{esc(x)}</p>" for x in related)}</section>
</main><footer><p>© 2026 AIbase</p></footer></body></html>"""
    write("aibase", page)


def markdown_to_lines(text: str) -> list[str]:
    """Seed 003 is Markdown with front matter: keep the visible text a reader would see."""
    text = re.sub(r"^---.*?---", "", text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(#+|\*)\s*", "", line.replace("**", "")).strip(" <>")
        if line:
            out.append(line)
    return out


def html_to_lines(fragment: str) -> list[str]:
    import lxml.html

    root = lxml.html.fromstring(f"<div>{fragment}</div>")
    for comment in root.xpath("//comment()"):
        comment.drop_tree()
    return [
        " ".join(el.text_content().split()) for el in root.iter("h2", "p", "li") if el.text_content().strip()
    ]


def flat(name: str, title: str, text_lines: list[str]) -> None:
    """A reader-mode rendering: every line of the page text a paragraph, nothing else."""
    body = "\n".join(f"<p>{esc(x)}</p>" for x in text_lines)
    write(
        f"flat_{name}",
        "<!DOCTYPE html><html><head><meta "
        f'charset="utf-8"><title>{esc(title)}</title></head><body>\n{body}\n</body></html>',
    )


def main(seeds: Path) -> None:
    s000, s002, s003, s004 = (lines(next(seeds.glob(f"{n}_*.txt"))) for n in ("000", "002", "003", "004"))
    fragment = next(seeds.glob("001_*.txt")).read_text(encoding="utf-8")
    netease(s000)
    bannedbook(fragment)
    daydaynews(s002)
    solidot(s003)
    aibase(s004)
    flat("000", s000[1], s000)
    flat("001", "OpenAI将终止中国服务 陆新创公司恐将迎来灭顶之灾", html_to_lines(fragment))
    flat("002", s002[0], s002)
    flat(
        "003",
        "OpenAI 和微软的紧密关系出现裂缝",
        markdown_to_lines(next(seeds.glob("003_*.txt")).read_text(encoding="utf-8")),
    )
    flat("004", s004[1], s004)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/seeds"))
