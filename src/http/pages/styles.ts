/**
 * The pages' one stylesheet, inline in each page and allowed by its hash in the CSP (STYLE_HASH),
 * so a page needs no second request and an error page is the same bytes every time.
 */
import { createHash } from 'node:crypto';
import { STATE_PAINT } from '../../graph/index.js';

/**
 * The graph's node colours come from src/graph's own palette, so a node the live stream recolours
 * looks as the picture would have drawn it.
 */
function graphStateRules(): string {
  return Object.entries(STATE_PAINT)
    .map(
      ([state, paint]) =>
        `.graph g[data-state=${state}] :is(polygon,ellipse,path,polyline){fill:${paint.fill};stroke:${paint.border}}` +
        `.graph g[data-state=${state}] text{fill:${paint.font}}`,
    )
    .join('\n');
}

/** Colours meet WCAG AA on their backgrounds; state colours are paired with words, never alone. */
export const CSS = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#4d5561;--bg:#fff;--line:#d0d7de;--accent:#0a58ca;
--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#b42318;--bad-bg:#ffebe9;--run:#0a58ca;--run-bg:#ddf4ff;
--wait:#8a4b00;--wait-bg:#fff1c2;--idle:#4d5561;--idle-bg:#eef1f4}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus-visible,summary:focus-visible,button:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;border-bottom:1px solid var(--line)}
h1{font-size:1.5rem;margin:.25rem 0}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .25rem}
.meta{color:var(--muted);margin:.25rem 0 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;list-style:none}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600;font-size:.9rem;border:1px solid currentColor}
[data-state=succeeded].badge,.badge.s-succeeded{color:var(--ok);background:var(--ok-bg)}
[data-state=failed].badge,[data-state=timed_out].badge,[data-state=cancelled].badge{color:var(--bad);background:var(--bad-bg)}
[data-state=running].badge,[data-state=started].badge,[data-state=queued].badge{color:var(--run);background:var(--run-bg)}
[data-state=waiting].badge{color:var(--wait);background:var(--wait-bg)}
[data-state=skipped].badge,[data-state=pending].badge{color:var(--idle);background:var(--idle-bg)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f6f8fa}
pre{background:#f6f8fa;border:1px solid var(--line);padding:.75rem;overflow-x:auto;font-size:.85rem;white-space:pre-wrap;word-break:break-word}
.meta dt{font-weight:600}.meta dd{margin:0}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
.graph{overflow-x:auto;border:1px solid var(--line);padding:.5rem}.graph svg{max-width:100%;height:auto}
${graphStateRules()}
.tok-comment{color:#57606a}.tok-key{color:#0550ae}.tok-string{color:#0a3069}.tok-number{color:#953800}
.tok-table{color:#6f42c1;font-weight:600}.tok-bool{color:#cf222e}
.diff-add{color:#116329;background:#e6ffec;display:block}.diff-del{color:#82071e;background:#ffebe9;display:block}
.diff-hunk{color:#4d5561;display:block}
.note{color:var(--muted)}
footer{color:var(--muted);font-size:.85rem;padding:2rem 1rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.25rem}th,td{padding:.3rem}
.timeline td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
.timeline thead{position:absolute;left:-9999px}.timeline tr{display:block;border-bottom:2px solid var(--line)}
.timeline td{display:block;border:0}}
`;

/** `'sha256-…'` of CSS, for style-src. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;
