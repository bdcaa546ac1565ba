"""The HTML template of the PDF's first part. Every value put in it is escaped by the caller.

The report title reaches the page footer through `string-set`, so it is never written into CSS.
"""

from __future__ import annotations

from string import Template

FIRST_PART = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<style>
@page {
  size: $page_size;
  margin: 18mm 15mm 18mm 15mm;
  @bottom-left { content: string(report-title); font-size: 8pt; color: #555; }
  @bottom-right { content: "page " counter(page) " of $total_pages"; font-size: 8pt; color: #555; }
}
html { font-family: "DejaVu Sans", "Noto Sans", sans-serif; font-size: 10pt; color: #222; }
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
</style>
</head>
<body>
<h1>$title</h1>
<div class="description">$description</div>
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
