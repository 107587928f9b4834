"""The report's stylesheet, inlined so the file needs nothing from anywhere else."""

from __future__ import annotations

CSS = """
:root { --ink: #1d2430; --muted: #5b6573; --line: #dde1e6; --soft: #f5f7f9;
        --accent: #1f5f99; --chosen: #e8f1fa; --high: #d62728; --medium: #e07b16;
        --low: #a89400; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
       Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 22px; }
header.report .brand { color: var(--accent); font-weight: 600; letter-spacing: .04em;
                       text-transform: uppercase; font-size: 12px; }
h1 { font-size: 26px; margin: 4px 0 12px; font-weight: 650; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 0 0 2px; overflow-wrap: anywhere; }
h3 { font-size: 14px; margin: 18px 0 8px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .05em; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
           gap: 6px 22px; margin: 0; }
dl.facts div { min-width: 0; }
dl.facts dt { color: var(--muted); font-size: 12px; }
dl.facts dd { margin: 0; font-weight: 550; overflow-wrap: anywhere; }
.notes { background: #fff8e6; border: 1px solid #f0d9a0; border-radius: 6px;
         padding: 8px 12px; margin: 12px 0; }
.notes ul { margin: 0; padding-left: 18px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 4px 0 6px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { background: var(--soft); font-weight: 600; color: #38414d; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.chosen td { background: var(--chosen); font-weight: 600; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 11px;
         font-weight: 600; background: var(--accent); color: #fff; margin-left: 6px; }
.sev { display: inline-block; min-width: 58px; text-align: center; padding: 1px 7px;
       border-radius: 9px; font-size: 11px; font-weight: 650; color: #fff; }
.sev-high { background: var(--high); }
.sev-medium { background: var(--medium); }
.sev-low { background: var(--low); }
.muted { color: var(--muted); }
.small { font-size: 12px; }
section.series { border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px 14px;
                 margin: 22px 0; }
section.series .subtitle { color: var(--muted); margin-bottom: 10px; }
figure.chart { margin: 8px 0 4px; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 0 28px; }
.cols > div { min-width: 0; }
a { color: var(--accent); text-decoration: none; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; border-top: 1px solid var(--line);
         padding-top: 10px; }
@media (max-width: 760px) { .cols { grid-template-columns: 1fr; } main { padding: 16px; } }
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  section.series { break-inside: auto; border: none; padding: 0; margin: 0; }
  section.series + section.series { break-before: page; }
  figure.chart, tr, .notes, dl.facts { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  thead { display: table-header-group; }
  tr.chosen td, th, .sev, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; }
}
"""
