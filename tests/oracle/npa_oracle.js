'use strict'
// Oracle for tests/test_npa.py: how the npm installed on this machine classifies dependency specs.
//
// stdin:  a JSON array.  Each item is either
//   [name, spec]                          -> npa.resolve(name, spec, '/tmp/where')
//   {"op": "valid", "v": s, "loose": b}   -> semver.valid(s, loose)
//   {"op": "validRange", "v": s, "loose": b} -> semver.validRange(s, loose)
//   {"op": "url", "v": s, "base": b|null} -> WHATWG new URL(s[, base]) fields (or {error})
// stdout: a JSON array of results, in order.  For [name, spec]:
//   {type, fetchSpec, gitCommittish, gitRange, gitSubdir, hosted: hosted?.type, name,
//    subSpec: {type, name, fetchSpec} for aliases, error: message-if-thrown, errorName}
// argv[2] (optional): the npm-package-arg directory; default: $(npm root -g)/npm/node_modules/
// npm-package-arg.  semver is loaded from the same tree npa resolves it from.
// One node process per batch; nothing is written anywhere.

const path = require('node:path')
const { createRequire } = require('node:module')
const { execFileSync } = require('node:child_process')

function npaDir () {
  if (process.argv[2]) {
    return path.resolve(process.argv[2])
  }
  const root = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim()
  return path.join(root, 'npm', 'node_modules', 'npm-package-arg')
}

const dir = npaDir()
const req = createRequire(path.join(dir, 'package.json'))
const npa = req(dir)
const semver = req('semver')

// npa logs unknown git keys through proc-log ('log' events on process); keep them quiet.
process.on('log', () => {})

const WHERE = '/tmp/where'

function orNull (v) {
  return v === undefined ? null : v
}

function classify (name, spec) {
  try {
    const r = npa.resolve(name, spec, WHERE)
    const out = {
      type: r.type,
      fetchSpec: orNull(r.fetchSpec),
      gitCommittish: orNull(r.gitCommittish),
      gitRange: orNull(r.gitRange),
      gitSubdir: orNull(r.gitSubdir),
      hosted: r.hosted ? r.hosted.type : null,
      name: orNull(r.name),
      subSpec: null,
      error: null,
      errorName: null,
    }
    if (r.subSpec) {
      out.subSpec = {
        type: r.subSpec.type,
        name: orNull(r.subSpec.name),
        fetchSpec: orNull(r.subSpec.fetchSpec),
      }
    }
    return out
  } catch (e) {
    return {
      type: 'invalid',
      error: String(e && e.message),
      errorName: e && e.constructor ? e.constructor.name : null,
    }
  }
}

function url (v, base) {
  try {
    const u = base == null ? new URL(v) : new URL(v, base)
    const href = u.href
    u.hash = ''
    return {
      href,
      hrefNoHash: u.href,
      protocol: u.protocol,
      username: u.username,
      password: u.password,
      hostname: u.hostname,
      port: u.port,
      pathname: u.pathname,
      search: u.search,
      hash: new URL(href).hash,
    }
  } catch (e) {
    return { error: String(e && e.message) }
  }
}

function one (item) {
  if (Array.isArray(item)) {
    return classify(item[0], item[1])
  }
  switch (item.op) {
    case 'valid':
      return semver.valid(item.v, item.loose)
    case 'validRange':
      return semver.validRange(item.v, item.loose)
    case 'url':
      return url(item.v, item.base)
    default:
      throw new Error(`unknown op ${item.op}`)
  }
}

const chunks = []
process.stdin.on('data', (c) => chunks.push(c))
process.stdin.on('end', () => {
  const items = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const out = items.map(one)
  process.stdout.write(JSON.stringify(out))
})
