"""Build the documentation site offline with MkDocs: the README as home, one page per notebook with its stored
outputs, the results and guide pages, an API reference page per module, and full-text search.

    python docs/build.py                 # writes docs/_site/
    python docs/build.py --serve         # builds, then serves it at http://localhost:8000 (search needs a server)
    python docs/build.py --out DIR

The generator is MkDocs with the Material theme; mkdocs-jupyter renders the notebooks from their stored outputs
(nothing is executed) and mkdocstrings writes the API pages from the library's docstrings. nbdev's own
`nbdev_docs` needs Quarto, which is not on PyPI or in Debian, so it cannot be installed on an offline machine.

What this script adds around `mkdocs build`, and why:
- it stages a copy of each notebook as the page should show it: `#| hide` cells left out, nbdev's `#|` directive
  lines removed, the input of `#| echo: false` cells hidden, formulas turned into MathML (by `latex2mathml`, which
  browsers draw natively, instead of MathJax from a CDN), Plotly figures drawn by the `plotly.min.js` that ships
  inside the plotly package, and a footer saying when and where the outputs were made;
- Material runs with its fonts off (no Google Fonts); scripts any page would fetch from a CDN are removed, so a page
  never waits on the network. Every page opens from the file system too, but a browser does not let a page opened
  from a file read the search index beside it, so search needs the site served (`--serve`);
- links between notebooks (`x.ipynb`) and to the README inside notebook pages point at the pages.
Navigation follows the project's layers: the tutorials, the results and guide, then `nbs/` by its five layers, the
checks, and the API reference.
"""
import html, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'docs'))
from run_notebooks import stale_cells  # noqa: E402  (the same staleness test as nbs/92_notebook_outputs)
GROUPS = {'0': '1 · building blocks', '1': '2 · backbones', '2': "3 · the paper's pieces", '3': '4 · the pipeline',
          '4': '5 · exploration', '5': '5 · exploration', '6': '5 · the jobs', '9': 'checks'}
FRONT = ('46_results', '47_guide')        # leaf pages a reader wants before the library: listed after the tutorials


def pages() -> dict[str, list[Path]]:
    "Navigation groups → notebooks, in reading order."
    out = {'tutorials': sorted((ROOT / 'tutorials').glob('*.ipynb')),
           'results and guide': [ROOT / 'nbs' / f'{n}.ipynb' for n in FRONT]}
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        if nb.stem not in FRONT:
            out.setdefault(GROUPS[nb.name[0]], []).append(nb)
    return out


def modules() -> list[str]:
    "Every module of the library, as a dotted name (the API reference has a page for each)."
    pkg = ROOT / 'gae_nb'
    mods = [p.relative_to(ROOT).with_suffix('').as_posix().replace('/', '.') for p in sorted(pkg.rglob('*.py'))]
    return [m.removesuffix('.__init__') for m in mods if not m.endswith('_modidx')
            and (not m.endswith('__init__') or m.count('.') > 1)]


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


def _directives(src: str) -> dict[str, str]:
    "nbdev's `#| key: value` lines at the top of a cell."
    out = {}
    for line in src.splitlines():
        m = re.match(r'\s*#\|\s*([\w-]+)\s*:?\s*(.*)$', line)
        if not m: break
        out[m.group(1)] = m.group(2).strip()
    return out


def _plotly_html(fig: dict, n: int) -> str:
    div = f'plotly-{n}'
    height = (fig.get('layout') or {}).get('height') or 450
    payload = json.dumps({'data': fig.get('data', []), 'layout': fig.get('layout', {})}).replace('</', '<\\/')
    return (f'<div id="{div}" class="plotly-graph-div" style="height:{height}px; width:100%;"></div>'
            f'<script>(function(){{var f = {payload};'
            f' Plotly.newPlot("{div}", f.data, f.layout, {{responsive: true}});}})();</script>')


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


def prepare(nb_path: Path) -> dict:
    """The notebook as its page shows it: hidden cells out, directive lines removed, `echo: false` inputs hidden,
    formulas as MathML, Plotly as live figures, widget views as their text, the run record as a footer."""
    nb = json.loads(nb_path.read_text())
    n, cells = 0, []
    for c in nb['cells']:
        src = ''.join(c['source'])
        d = _directives(src) if c['cell_type'] == 'code' else {}
        if 'hide' in d or d.get('include') == 'false': continue
        if c['cell_type'] == 'markdown':
            c['source'] = math_to_mathml(src)
        elif c['cell_type'] == 'code':
            c['source'] = '\n'.join(l for l in src.splitlines() if not re.match(r'\s*#\|', l)).strip('\n')
            if d.get('echo') == 'false':
                c.setdefault('metadata', {}).setdefault('tags', []).append('remove_input')
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if 'application/vnd.plotly.v1+json' in data:
                n += 1
                o['data'] = {'text/html': _plotly_html(data['application/vnd.plotly.v1+json'], n)}
            data = o.get('data', {})
            if 'text/markdown' in data:
                data['text/markdown'] = math_to_mathml(''.join(data['text/markdown']))
            if 'application/vnd.jupyter.widget-view+json' in data:
                data.pop('application/vnd.jupyter.widget-view+json')
                if not data: o['data'] = {'text/plain': '(an interactive widget: run the notebook to use it)'}
        cells.append(c)
    cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': _run_note(nb_path, nb)})
    nb['cells'] = cells
    nb.get('metadata', {}).pop('widgets', None)
    return nb


CSS = """
.jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
.gae-run { margin: 30px 0 20px; padding: 8px 12px; border-top: 1px solid #ddd; color: #555; font-size: 12px; }
.gae-run.stale { color: #a00; }
.md-typeset table:not([class]) { font-size: .68rem; }
.jupyter-wrapper .jp-RenderedImage img, .md-typeset img { max-width: 100%; height: auto; }
"""


def _nav_yaml() -> list:
    nav = [{'Start here': 'index.md'}]
    for group, nbs in pages().items():
        nav.append({group: [{f'{nb.stem[:3].rstrip("_")} · {title_of(nb)}': nb.relative_to(ROOT).as_posix()}
                            for nb in nbs]})
    nav.append({'API reference': [{m: f"api/{m}.md"} for m in modules()]})
    return nav


def stage(src: Path) -> Path:
    "Write the MkDocs source tree (pages, images, results, assets) and its mkdocs.yml into `src`; returns the yml."
    docs = src / 'docs'
    docs.mkdir(parents=True)
    readme = (ROOT / 'README.md').read_text()
    (docs / 'index.md').write_text(math_to_mathml(readme.replace('](README.md', '](index.md')))
    for nbs in pages().values():
        for nb_path in nbs:
            dst = docs / nb_path.relative_to(ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(json.dumps(prepare(nb_path)))
    for folder in ('tutorials/images', 'results'):
        for f in (ROOT / folder).rglob('*.png'):
            dst = docs / f.relative_to(ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dst)
    (docs / 'api').mkdir()
    for m in modules():
        (docs / 'api' / f'{m}.md').write_text(f'# `{m}`\n\n::: {m}\n')
    import plotly
    (docs / 'assets').mkdir()
    shutil.copy2(Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js', docs / 'assets' / 'plotly.min.js')
    (docs / 'assets' / 'gae_nb.css').write_text(CSS)
    cfg = {
        'site_name': 'gae_nb', 'docs_dir': str(docs), 'use_directory_urls': False,
        'site_description': 'The Geometric Autoencoder (GAE) for latent diffusion, notebook by notebook',
        'theme': {'name': 'material', 'font': False, 'features': ['navigation.sections', 'search.highlight',
                                                                 'content.code.copy']},
        'extra_css': ['assets/gae_nb.css'],
        'markdown_extensions': ['tables', 'attr_list', 'md_in_html', 'toc', 'admonition',
                                {'pymdownx.highlight': {'use_pygments': True}}, 'pymdownx.superfences'],
        'plugins': ['search',
                    {'mkdocs-jupyter': {'include': ['*.ipynb'], 'no_prompt': True, 'include_requirejs': False,
                                        'ignore_h1_titles': False, 'remove_tag_config':
                                            {'remove_input_tags': ['remove_input']}}},
                    {'mkdocstrings': {'handlers': {'python': {'paths': [str(ROOT)], 'options': {
                        'show_source': False, 'members_order': 'source', 'docstring_style': None,
                        'show_root_heading': False, 'show_signature_annotations': True, 'separate_signature': True,
                        'heading_level': 2, 'filters': ['!^_']}}}}}],
        'nav': _nav_yaml(), 'validation': {'links': {'unrecognized_links': 'ignore'}},
    }
    yml = src / 'mkdocs.yml'
    yml.write_text(json.dumps(cfg, indent=1))           # JSON is YAML
    return yml


def _anchor_headings(page_html: str) -> str:
    """Give each heading the anchor the page's table of contents links to. The contents are made from the notebook
    as Markdown (Python-Markdown's slugs) and the headings by nbconvert, which spells ids of headings with
    punctuation or code differently; a heading whose slug starts with a missing anchor gets it."""
    from markdown.extensions.toc import slugify
    ids = set(re.findall(r'\bid="([^"]+)"', page_html))
    missing = [a for a in dict.fromkeys(re.findall(r'href="#([^"]+)"', page_html)) if a not in ids]
    text = lambda h: slugify(html.unescape(re.sub(r'<[^>]+>|¶', '', h)).strip(), '-')
    for m in list(re.finditer(r'<h([1-6])[^>]*>(.*?)</h\1>', page_html, re.S))[::-1]:
        slugs = (text(m.group(2)), text(re.sub(r'<code>.*?</code>', '', m.group(2))))   # contents drop code spans
        hit = next((a for a in missing if any(s == a or s.startswith(a + '-') for s in slugs)), None)
        if hit:
            missing.remove(hit)
            page_html = page_html[:m.start()] + f'<a id="{hit}"></a>' + page_html[m.start():]
    return page_html


def _finish(page_html: str, rel: Path) -> str:
    "Links to notebooks and to the README point at their pages; every contents link has its anchor; no CDN script."
    page_html = _anchor_headings(page_html)
    page_html = re.sub(r'href="(?!https?:)([^"#]*?)\.ipynb(#[^"]*)?"',
                       lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', page_html)
    up = '../' * len(rel.parent.parts)
    page_html = re.sub(r'href="(?:\.\./)*README\.md(#[^"]*)?"', lambda m: f'href="{up}index.html{m.group(1) or ""}"',
                       page_html)
    page_html = re.sub(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', '', page_html)
    if 'plotly-graph-div' in page_html:                  # the figures' inline scripts need Plotly before they run
        page_html = page_html.replace('</head>', f'<script src="{up}assets/plotly.min.js"></script></head>', 1)
    page_html = re.sub(r'<link[^>]*\bhref="https?://[^"]*"[^>]*>', '', page_html)
    return re.sub(r'<script type="text/x-mathjax-config">.*?</script>', '', page_html, flags=re.S)


def build(out: Path = ROOT / 'docs' / '_site') -> list[Path]:
    "Write the site into `out` (emptied first); returns the pages written (the home page and one per notebook)."
    out = Path(out)
    if out.exists(): shutil.rmtree(out)
    with tempfile.TemporaryDirectory(prefix='gae_nb_docs_') as tmp:
        yml = stage(Path(tmp))
        r = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-f', str(yml), '-d', str(out)],
                           capture_output=True, text=True, cwd=tmp)
        if r.returncode:
            raise RuntimeError(f'mkdocs build failed:\n{r.stdout}\n{r.stderr}')
    (out / '404.html').unlink(missing_ok=True)          # a server's error page (root-absolute links); none is served
    for f in out.rglob('*.html'):
        f.write_text(_finish(f.read_text(), f.relative_to(out)))
    return [out / 'index.html'] + [out / nb.relative_to(ROOT).with_suffix('.html')
                                   for nbs in pages().values() for nb in nbs]


if __name__ == '__main__':
    dest = Path(sys.argv[sys.argv.index('--out') + 1]) if '--out' in sys.argv else ROOT / 'docs' / '_site'
    done = build(dest)
    print(f'wrote {len(done)} pages and an API reference to {dest}')
    if '--serve' in sys.argv:
        import functools
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(dest))
        print('serving it at http://localhost:8000 (Ctrl-C stops)')
        ThreadingHTTPServer(('127.0.0.1', 8000), handler).serve_forever()
