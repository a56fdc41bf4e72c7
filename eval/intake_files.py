"""Real PDF, DOCX and HTML files made from a policy's plain text, for intake tests and measurements.

Each maker drives a real tool the way an office would have made the file: Chromium prints an
HTML page (running header and page numbers in CSS page-margin boxes), ReportLab lays out pages
with a Chinese CID font, python-docx writes a Word document, and a saved government web page
wraps the text in navigation, sidebars, footers and scripts. Nothing here is committed output:
callers write into a temporary folder.
"""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# Page-number styles seen on Chinese government PDFs, as CSS content and as Python formats.
FOOTERS = {
    "dash": ('"— " counter(page) " —"', "— {page} —"),
    "hyphen": ('"- " counter(page) " -"', "- {page} -"),
    "of": ('"第 " counter(page) " 页 共 " counter(pages) " 页"', "第 {page} 页"),
    "bare": ("counter(page)", "{page}"),
}
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十百]+[章节])")


def policy_lines(text: str) -> list[str]:
    """The text's non-empty lines: one paragraph each, as the library files hold them."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def running_header(lines: Sequence[str]) -> str:
    """A short running header such as a printed policy repeats at the top of each page."""
    return lines[0][:24]


def print_page(lines: Sequence[str], header: str, footer: str = "dash") -> str:
    """An HTML page styled like a printed 公文: indented paragraphs, a letter-spaced title, page furniture."""
    css_footer = FOOTERS[footer][0]
    paragraphs = [f'<h1>{html.escape(lines[0])}</h1>']
    for line in lines[1:]:
        tag = "h2" if _HEADING.match(line) else "p"
        paragraphs.append(f"<{tag}>{html.escape(line)}</{tag}>")
    body = "\n".join(paragraphs)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(lines[0])}</title>
<style>
@page {{ size: A4; margin: 30mm 26mm 26mm;
  @top-center {{ content: "{header}"; font: 10.5pt "WenQuanYi Micro Hei"; color: #444; }}
  @bottom-center {{ content: {css_footer}; font: 12pt "WenQuanYi Micro Hei"; }} }}
body {{ font: 16pt/1.65 "WenQuanYi Micro Hei", sans-serif; }}
h1 {{ font-size: 20pt; text-align: center; letter-spacing: 0.6em; margin: 0 0 1em; }}
h2 {{ font-size: 16pt; margin: 0; }}
p {{ margin: 0; text-indent: 2em; text-align: justify; }}
</style></head>
<body>
{body}
</body></html>
"""


def chromium_pdf(page_html: str, out: Path, timeout: float = 120) -> Path:
    """Print an HTML page to ``out`` with headless Chromium, as a browser's 'Save as PDF' would."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: run `make chromium` (Debian chromium and fonts-wqy-microhei)")
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="intake-print-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(page_html, encoding="utf-8")
        # A private profile keeps concurrent prints from fighting over one user-data folder.
        subprocess.run(
            [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
             f"--print-to-pdf={out}", page.as_uri()],
            check=True, capture_output=True, timeout=timeout)
    if not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no PDF to {out}")
    return out


def reportlab_pdf(lines: Sequence[str], out: Path, header: str, footer: str = "of") -> Path:
    """Lay out the text with ReportLab and the Adobe CID font STSong-Light (no font file needed)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=15, leading=26, firstLineIndent=30, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=20, leading=34, alignment=1, firstLineIndent=0)
    page_format = FOOTERS[footer][1]

    def furniture(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 10.5)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 16 * mm, header)
        canvas.setFont(font, 12)
        canvas.drawCentredString(A4[0] / 2, 13 * mm, page_format.format(page=doc.page))
        canvas.restoreState()

    story = [Paragraph(escape(lines[0]), title)] + [Paragraph(escape(line), body) for line in lines[1:]]
    doc = SimpleDocTemplate(str(out), pagesize=A4, leftMargin=26 * mm, rightMargin=26 * mm,
                            topMargin=28 * mm, bottomMargin=25 * mm, title=lines[0])
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return Path(out)


def word_docx(lines: Sequence[str], out: Path, table: Sequence[Sequence[str]] = (),
              numbered: Sequence[str] = (), articles: Sequence[str] = ()) -> Path:
    """Write a Word document: title, headings, indented paragraphs, then Word-numbered items, a table,
    and articles numbered by Word as 第一条, 第二条 (the numbers live in numbering.xml, not the text)."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.add_heading(lines[0], level=0)
    for line in lines[1:]:
        if _HEADING.match(line):
            document.add_heading(line, level=1)
        else:
            document.add_paragraph(line).paragraph_format.first_line_indent = Pt(32)
    for item in numbered:
        document.add_paragraph(item, style="List Number")
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table):
            for cell, value in zip(row.cells, cells):
                cell.text = value
    if articles:
        num_id = _article_numbering(document)
        for text in articles:
            paragraph = document.add_paragraph(text)
            paragraph._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = num_id
            paragraph._p.get_or_add_pPr().get_or_add_numPr().get_or_add_ilvl().val = 0
    document.save(str(out))
    return Path(out)


def _article_numbering(document) -> int:
    """Add a list definition as Word writes one for 第一条 numbering (lvlText 第%1条, Chinese counting)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    numbering = document.part.numbering_part.element
    abstract_id = 1 + max(int(a.get(_w("abstractNumId"))) for a in numbering.iter(_w("abstractNum")))
    num_id = 1 + max(int(n.get(_w("numId"))) for n in numbering.iter(_w("num")))
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}"><w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="space"/>'
        '<w:lvlText w:val="第%1条"/><w:lvlJc w:val="left"/></w:lvl></w:abstractNum>')
    # Word requires every abstractNum before the first num.
    numbering.insert(list(numbering).index(next(numbering.iter(_w("num")))), abstract)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'))
    return num_id


def _w(name: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + name


def gov_page(lines: Sequence[str], encoding: str = "utf-8") -> str:
    """A saved gov.cn-style article page: navigation, breadcrumbs, sidebar, share bar, footer, scripts."""
    title = html.escape(lines[0])
    body = "\n".join(f"<p style=\"text-indent:2em\">{html.escape(line)}</p>" for line in lines[1:])
    nav = "".join(f'<li><a href="/{i}/">{name}</a></li>' for i, name in enumerate(
        ["首页", "政务公开", "政策文件", "政策解读", "政务服务", "互动交流", "数据发布", "专题专栏"]))
    side = "".join(f'<li><a href="/zc/{i}.htm">{name}</a></li>' for i, name in enumerate(
        ["关于进一步优化营商环境更好服务市场主体的实施意见", "关于印发金融支持实体经济发展若干措施的通知",
         "关于做好2024年普惠金融工作的通知", "政务服务事项清单（2024年版）", "关于开展政务公开专项检查的通知"]))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>
<meta http-equiv="Content-Type" content="text/html; charset={encoding}">
<title>{title}_政策文件_中国政府网</title>
<meta name="keywords" content="政策文件,国务院文件">
<link rel="stylesheet" href="/css/common.css">
<script type="text/javascript">var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script");
hm.src = "https://hm.example.cn/hm.js?0123456789"; document.getElementsByTagName("head")[0].appendChild(hm); }})();</script>
<style>.nav li {{ display:inline; margin-right:1em }} .share {{ color:#888 }}</style>
</head>
<body>
<div class="header"><div class="logo"><a href="/">中国政府网</a></div>
<div class="top-links"><a href="/en/">English</a> | <a href="/m/">移动版</a> | <a href="/wza/">无障碍</a> | 繁體</div>
<div class="search"><form action="/search"><input name="q" placeholder="请输入关键词"><button>搜索</button></form></div></div>
<ul class="nav">{nav}</ul>
<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zhengce/">政策</a> &gt; <a href="/zhengce/wenjian/">政策文件</a> &gt; 正文</div>
<div class="main">
<div class="article">
<h1>{title}</h1>
<div class="info">来源：中国政府网　　发布时间：2024-01-05 16:30　　字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>　<a href="javascript:window.print()">打印本页</a></div>
<div class="pages_content" id="UCAP-CONTENT">
{body}
</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a>　【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>
<div class="sidebar"><h3>相关文件</h3><ul>{side}</ul>
<h3>热点专题</h3><ul><li><a href="/zt/1/">优化营商环境</a></li><li><a href="/zt/2/">稳就业保民生</a></li></ul></div>
</div>
<div class="footer">
<p><a href="/about/">关于本网</a> | <a href="/sitemap/">网站地图</a> | <a href="/contact/">联系我们</a></p>
<p>版权所有：中华人民共和国国务院办公厅　主办单位：国务院办公厅　运行维护单位：中国政府网运行中心</p>
<p>京ICP备05070218号　京公网安备11010202000001号　网站标识码bm01000001</p>
</div>
<script src="/js/jquery.min.js"></script>
<script>$(function() {{ $(".nav li").hover(function() {{ $(this).addClass("on"); }}); }});</script>
</body></html>
"""


def gov_page_legacy(lines: Sequence[str], encoding: str = "gb2312") -> str:
    """An older provincial site's page: table layout, <font> and <br> instead of paragraphs, GB2312."""
    title = html.escape(lines[0])
    body = "<br>\n".join("　　" + html.escape(line) for line in lines[1:])
    menu = " | ".join(f'<a href="/col/{i}/">{name}</a>' for i, name in enumerate(
        ["网站首页", "政务动态", "信息公开", "政策法规", "办事服务", "公众参与", "专题专栏"]))
    links = "<br>".join(f'<a href="/art/{i}.html">·{name}</a>' for i, name in enumerate(
        ["省政府办公厅关于做好春节期间安全生产工作的通知", "关于公布第二批省级示范项目名单的公告",
         "省金融局召开全省地方金融监管工作会议", "我省出台支持民营经济发展若干措施"]))
    return f"""<html>
<head><meta http-equiv="Content-Type" content="text/html; charset={encoding}"><title>{title}</title>
<script language="javascript" src="/script/common.js"></script></head>
<body topmargin="0">
<table width="1000" align="center"><tr><td><img src="/images/banner.jpg" alt="省人民政府门户网站"></td></tr>
<tr><td class="menu">{menu}</td></tr></table>
<table width="1000" align="center"><tr>
<td width="240" valign="top"><b>最新文件</b><br>{links}<br><b>友情链接</b><br><a href="http://www.gov.cn/">中国政府网</a></td>
<td width="760" valign="top">
<table width="100%"><tr><td>您现在的位置：<a href="/">首页</a> &gt; <a href="/col/zcfg/">政策法规</a></td></tr>
<tr><td align="center"><font size="5"><b>{title}</b></font></td></tr>
<tr><td align="center">信息来源：省政府办公厅　发布日期：2022-03-18　浏览次数：1024</td></tr>
<tr><td><div id="zoom"><font size="3">
{body}
</font></div></td></tr>
<tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
</table></td></tr></table>
<table width="1000" align="center"><tr><td align="center">主办：省人民政府办公厅　版权所有　未经授权禁止复制<br>
备案序号：闽ICP备05012345号　<script>document.write(unescape("%3Cspan%3E%3C/span%3E"));</script></td></tr></table>
</body></html>
"""


def scanned_pdf(lines: Sequence[str], out: Path) -> Path:
    """A PDF holding only a picture of the text, as a scanner writes it: Pillow renders and saves it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), 28)
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines[:40]):
        draw.text((100, 120 + row * 40), line[:40], font=font, fill=0)
    image.save(str(out), "PDF", resolution=150)
    return Path(out)
