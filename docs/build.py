"""Build the documentation site offline: one HTML page per notebook, with its stored outputs, and the README as home.

    python docs/build.py                 # writes docs/_site/; open docs/_site/index.html in a browser
    python docs/build.py --out DIR

Why this renderer: nbdev's own `nbdev_docs` needs Quarto, which is not on PyPI or in Debian, so it cannot be installed
on an offline machine. nbconvert's HTML exporter (already installed with Jupyter) renders a notebook page exactly as
JupyterLab shows it, from the outputs stored in the file, without running anything. What it would fetch from the
internet we provide locally: Plotly figures are drawn by the `plotly.min.js` that ships inside the plotly package,
copied into the site, and formulas are turned into MathML (by `latex2mathml`), which browsers draw natively, instead
of MathJax from a CDN. Scripts nbconvert links from CDNs (require.js, MathJax) are left out, so a page never waits
on the network. Navigation follows the project's layers: the tutorials, then `nbs/` by its five layers, then checks.
"""
import html, json, re, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'docs'))
from run_notebooks import stale_cells  # noqa: E402  (the same staleness test as nbs/92_notebook_outputs)
GROUPS = {'0': '1 · building blocks', '1': '2 · backbones', '2': "3 · the paper's pieces", '3': '4 · the pipeline',
          '4': '5 · exploration', '5': '5 · exploration', '6': '5 · the jobs', '9': 'checks'}


def pages() -> dict[str, list[Path]]:
    "Navigation groups → notebooks, in reading order."
    out = {'tutorials': sorted((ROOT / 'tutorials').glob('*.ipynb'))}
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        out.setdefault(GROUPS[nb.name[0]], []).append(nb)
    return out


# ---- formulas: LaTeX between $ signs → MathML, outside code ----
_CODE = re.compile(r'(```.*?```|`[^`\n]*`)', re.S)
_MATH = re.compile(r'\$\$(.+?)\$\$|(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])', re.S)


def math_to_mathml(md: str) -> str:
    "Replace $…$ and $$…$$ in markdown (not inside code) by MathML; a formula latex2mathml cannot read stays as text."
    from latex2mathml.converter import convert

    def one(m):
        tex, block = (m.group(1), True) if m.group(1) is not None else (m.group(2), False)
        try: return convert(tex.strip(), display='block' if block else 'inline').replace('\n', '')
        except Exception: return html.escape(m.group(0))
    parts = _CODE.split(md)
    return ''.join(p if i % 2 else _MATH.sub(one, p) for i, p in enumerate(parts))


def title_of(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    for c in nb['cells']:
        src = ''.join(c['source'])
        m = re.search(r'^# (.+)$', src, re.M) if c['cell_type'] == 'markdown' else None
        if m: return m.group(1).strip()
    return nb_path.stem


def _nav(current: str, depth: int) -> str:
    up = '../' * depth
    items = [f'<p class="gae-home"><a href="{up}index.html"{" class=cur" if current == "index.html" else ""}>'
             'gae_nb: start here</a></p>']
    for group, nbs in pages().items():
        links = []
        for nb in nbs:
            rel = nb.relative_to(ROOT).with_suffix('.html').as_posix()
            cur = ' class="cur"' if rel == current else ''
            name = f'{html.escape(nb.stem[:2])} · {html.escape(title_of(nb))}'
            links.append(f'<li><a href="{up}{rel}"{cur}>{name}</a></li>')
        items.append(f'<h4>{html.escape(group)}</h4><ul>{"".join(links)}</ul>')
    return f'<nav class="gae-nav">{"".join(items)}</nav>'


CSS = """
<style>
.gae-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 270px; overflow-y: auto; padding: 12px 14px;
  background: #f6f7f9; border-right: 1px solid #ddd; font: 13px/1.35 system-ui, sans-serif; z-index: 10; }
.gae-nav h4 { margin: 14px 0 4px; font-size: 12px; text-transform: uppercase; color: #666; }
.gae-nav ul { list-style: none; margin: 0; padding: 0; } .gae-nav li { margin: 3px 0; }
.gae-nav a { color: #1a4f8b; text-decoration: none; } .gae-nav a.cur { font-weight: 700; color: #000; }
.gae-home { font-weight: 700; }
body { margin-left: 300px !important; }
.gae-run { margin: 30px 0 20px; padding: 8px 12px; border-top: 1px solid #ddd; color: #555; font: 12px system-ui; }
.gae-run.stale { color: #a00; }
.gae-readme { max-width: 1000px; padding: 10px 30px; font: 15px/1.5 system-ui, sans-serif; }
.gae-readme pre { background: #f4f4f4; padding: 10px; overflow-x: auto; white-space: pre-wrap; }
.gae-readme code { background: #f4f4f4; padding: 1px 3px; }
.gae-readme table { border-collapse: collapse; margin: 10px 0; } .gae-readme img { max-width: 100%; }
.gae-readme td, .gae-readme th { border: 1px solid #ccc; padding: 3px 8px; }
</style>
"""


def _rewrite_links(page_html: str) -> str:
    "Links to notebooks point at their pages."
    to_page = lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"'
    return re.sub(r'href="(?!https?:)([^"#]*?)\.ipynb(#[^"]*)?"', to_page, page_html)


def _strip_cdn(page_html: str) -> str:
    "Drop the scripts nbconvert links from CDNs (require.js, MathJax, widget manager): the site works offline."
    page_html = re.sub(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', '', page_html)
    return re.sub(r'<script type="text/x-mathjax-config">.*?</script>', '', page_html, flags=re.S)


def _plotly_html(fig: dict, n: int) -> str:
    div = f'plotly-{n}'
    height = (fig.get('layout') or {}).get('height') or 450
    payload = json.dumps({'data': fig.get('data', []), 'layout': fig.get('layout', {})}).replace('</', '<\\/')
    return (f'<div id="{div}" class="plotly-graph-div" style="height:{height}px; width:100%;"></div>'
            f'<script>(function(){{var f = {payload};'
            f' Plotly.newPlot("{div}", f.data, f.layout, {{responsive: true}});}})();</script>')


def _prepare(nb: dict) -> dict:
    "The notebook as a page shows it: hidden cells out, formulas as MathML, Plotly as live figures, widgets as text."
    n = 0
    cells = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if any(l.strip().replace(' ', '') == '#|hide' for l in src.splitlines()): continue
        if c['cell_type'] == 'markdown': c['source'] = math_to_mathml(src)
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if 'application/vnd.plotly.v1+json' in data:
                n += 1
                o['data'] = {'text/html': _plotly_html(data['application/vnd.plotly.v1+json'], n)}
            data = o.get('data', {})
            data.pop('application/vnd.jupyter.widget-view+json', None)
        cells.append(c)
    nb['cells'] = cells
    nb.get('metadata', {}).pop('widgets', None)
    return nb


def _run_note(nb_path: Path, nb: dict) -> str:
    "The page's footer: how and when its outputs were made, and whether they still match the code."
    run = nb.get('metadata', {}).get('gae_nb_run')
    if not run: return '<div class="gae-run stale">This notebook has no stored outputs.</div>'
    m = run['machine']
    stale = stale_cells(nb_path)
    text = (f"Outputs made by <code>python docs/run_notebooks.py</code> at commit {html.escape(run['commit'])} on "
            f"{html.escape(run['date'])}, on a {m['cores']}-core {html.escape(m['cpu'])} (CPU capability "
            f"{html.escape(m['cpu_capability'])}, {m['threads']} threads, torch {html.escape(m['torch'])}) in "
            f"{run['seconds']} s; recipe: {html.escape(run['recipe'])}.")
    if stale: text += ' <b>Stale:</b> ' + html.escape('; '.join(stale))
    return f'<div class="gae-run{" stale" if stale else ""}">{text}</div>'


def _copy_assets(page_html: str, page_rel: Path, out: Path):
    "Copy the repository files a page links to or shows (images, results, scripts) next to it in the site."
    for ref in re.findall(r'(?:src|href)="([^"#:]+?)(?:#[^"]*)?"', page_html):
        if ref.endswith('.html') or ref.startswith(('/', 'data')): continue
        src = (ROOT / page_rel.parent / ref).resolve()
        if src.is_file() and ROOT in src.parents:
            dst = out / src.relative_to(ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _page(body: str, title: str, rel: str, head: str = '') -> str:
    depth = rel.count('/')
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)} · gae_nb</title>'
            f'{head}{CSS}</head><body>{_nav(rel, depth)}{body}</body></html>')


def build(out: Path = ROOT / 'docs' / '_site') -> list[Path]:
    "Write the site into `out` (emptied first); returns the pages written."
    import nbformat, plotly
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    out = Path(out)
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js', out / 'plotly.min.js')
    written = []
    readme = markdown2html_mistune(math_to_mathml((ROOT / 'README.md').read_text()))
    home = _rewrite_links(_page(f'<div class="gae-readme">{readme}</div>', 'start here', 'index.html'))
    _copy_assets(home, Path('.'), out)
    (out / 'index.html').write_text(home)
    written.append(out / 'index.html')
    exporter = HTMLExporter(template_name='lab')
    for group, nbs in pages().items():
        for nb_path in nbs:
            rel = nb_path.relative_to(ROOT).with_suffix('.html')
            nb = nbformat.reads(nb_path.read_text(), as_version=4)
            note = _run_note(nb_path, nb)
            body, _ = exporter.from_notebook_node(_prepare(nb))
            up = '../' * rel.as_posix().count('/')
            body = _strip_cdn(body)
            body = body.replace('</head>', f'<script src="{up}plotly.min.js"></script>{CSS}</head>', 1)
            body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + _nav(rel.as_posix(), rel.as_posix().count('/')),
                          body, count=1)
            body = body.replace('</body>', note + '</body>', 1)
            body = _rewrite_links(body)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            _copy_assets(body, rel, out)
            (out / rel).write_text(body)
            written.append(out / rel)
    return written


if __name__ == '__main__':
    dest = Path(sys.argv[sys.argv.index('--out') + 1]) if '--out' in sys.argv else ROOT / 'docs' / '_site'
    done = build(dest)
    print(f'wrote {len(done)} pages to {dest}; open {dest / "index.html"} in a browser')
