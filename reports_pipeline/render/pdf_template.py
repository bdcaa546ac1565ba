"""The HTML templates of the PDF's first part. Every value put in them is escaped by the caller.

Text from the report or the run (the title, the organisation name) reaches the page margins
through `string-set`, so it is never written into CSS. Only brand colours, which are checked
to be `#RRGGBB`, are written into CSS.
"""

from __future__ import annotations

from string import Template

FIRST_PART = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<style>
html {
  font-family: "DejaVu Sans", "Noto Sans", "Noto Sans Arabic", "Noto Sans Hebrew",
    "WenQuanYi Zen Hei", "Symbola", sans-serif;
  font-size: 10pt;
  color: #222;
}
[dir=rtl] { direction: rtl; }
h1 { string-set: report-title content(); font-size: 20pt; margin: 0 0 4mm 0; }
h2 { font-size: 13pt; margin: 6mm 0 2mm 0; }
.description { color: #444; margin-bottom: 4mm; }
table.about { border-collapse: collapse; }
table.about th { text-align: left; padding: 1mm 6mm 1mm 0; color: #555; font-weight: normal; }
table.about td { padding: 1mm 0; }
.kpis { display: flex; flex-wrap: wrap; gap: 6mm; margin: 4mm 0; }
.kpi { border: 1px solid #ccc; border-radius: 2mm; padding: 3mm 5mm; min-width: 40mm; }
.kpi .value { font-size: 22pt; font-weight: bold; }
.kpi .label { color: #555; font-size: 9pt; }
.chart { break-inside: avoid; margin: 4mm 0; }
.chart h3 { font-size: 11pt; margin: 0 0 2mm 0; }
.notes li { margin-bottom: 1mm; }
.empty { margin-top: 20mm; font-size: 18pt; text-align: center; color: #555;
  border: 1px solid #ccc; padding: 10mm; }
$page_style
</style>
</head>
<body>
$cover
<h1$title_dir>$title</h1>
<div class="description"$description_dir>$description</div>
<table class="about">
$about
</table>
$empty
$kpis
$charts
<h2>Notes</h2>
<ul class="notes">
$notes
</ul>
</body>
</html>
"""
)

PLAIN_PAGE = Template(
    """@page {
  size: $page_size;
  margin: 18mm 15mm 18mm 15mm;
  @bottom-left { content: string(report-title); font-size: 8pt; color: #555; }
  @bottom-right { content: "page " counter(page) " of $total_pages"; font-size: 8pt; color: #555; }
}"""
)

# The cover sets the title for the page headers and the confidentiality line for the footers;
# the summary's heading does not set them again.
BRANDED_PAGE = Template(
    """@page {
  size: $page_size;
  margin: 18mm 15mm 18mm 15mm;
  @top-left { content: string(report-title); font-size: 8pt; color: $primary; }
  @bottom-left { content: string(confidential); font-size: 8pt; font-weight: bold; color: $accent; }
  @bottom-right { content: "page " counter(page) " of $total_pages"; font-size: 8pt; color: #555; }
}
@page :first { @top-left { content: none; } }
h1 { string-set: none; color: $primary; }
h2 { color: $primary; border-bottom: 0.6pt solid $accent; }
.cover { break-after: page; }
.cover .band { background: $primary; height: 12mm; margin: 0 0 14mm 0; }
.cover .logo img { max-height: 28mm; max-width: 80mm; margin-bottom: 10mm; }
.cover .organisation { font-size: 14pt; color: #444; margin-bottom: 4mm; }
.cover .title { string-set: report-title content(); font-size: 28pt; font-weight: bold;
  color: $primary; margin-bottom: 4mm; }
.cover .subtitle { font-size: 15pt; color: #444; margin-bottom: 12mm; }
.cover .rule { border-top: 1.5pt solid $accent; width: 40mm; margin-bottom: 8mm; }
.cover table.about { margin-bottom: 16mm; }
.cover .confidential { string-set: confidential content(); font-weight: bold; color: $accent; }"""
)

COVER = Template(
    """<section class="cover">
<div class="band"></div>
$logo
<div class="organisation"$organisation_dir>$organisation</div>
<div class="title"$title_dir>$title</div>
<div class="subtitle"$subtitle_dir>$subtitle</div>
<div class="rule"></div>
<table class="about">
$about
</table>
<div class="confidential"$confidential_dir>$confidential</div>
</section>"""
)
