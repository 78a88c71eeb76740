#!/usr/bin/env node
// Oracle: ask the pacote bundled with this machine's npm what it installs from a tarball.
//
// usage: node pacote_extract.js <tarball> <dest> <cache> [npm-root]
//
// Runs pacote.extract('file:' + <tarball>, <dest>, {cache: <cache>, umask: 0o022}) -- the call
// npm makes to unpack a package -- and prints ONE line of JSON on stdout:
//   {"ok": true, "warnings": [...]}                     on success
//   {"ok": false, "error": msg, "code": c, "warnings": [...]}  on failure
// Each warning is {"level", "args"} from proc-log's 'log' events (pacote sends node-tar's
// onwarn there as log.warn('tar', code, msg)). "refused" lists the guarded calls below that
// were blocked ({"op", "path"}).
//
// Safety: node-tar (without preservePaths) already refuses to write outside <dest>; on top of
// that, pacote's FileFetcher chmods package.json "bin" targets after extraction, and a hostile
// "bin" could point anywhere, so fs.promises.chmod/chown are wrapped before pacote is loaded
// to refuse any path outside <dest>. pacote writes its cache only under <cache>.
'use strict'

const path = require('node:path')
const fsp = require('node:fs/promises')
const { execFileSync } = require('node:child_process')

const [tarball, destArg, cacheArg, npmRootArg] = process.argv.slice(2)
if (!tarball || !destArg || !cacheArg) {
  process.stdout.write(JSON.stringify({ ok: false, error: 'usage: pacote_extract.js <tarball> <dest> <cache> [npm-root]', code: 'USAGE', warnings: [] }) + '\n')
  process.exit(2)
}
const dest = path.resolve(destArg)
const cache = path.resolve(cacheArg)
const tgz = path.resolve(tarball)

// Deterministic file modes: pacote lets the process umask act on what it writes.
process.umask(0o022)

const inside = (p) => {
  const abs = path.resolve(String(p))
  return abs === dest || abs.startsWith(dest + path.sep)
}
const refused = []
for (const name of ['chmod', 'chown', 'lchown', 'lchmod']) {
  const orig = fsp[name]
  if (typeof orig !== 'function') {
    continue
  }
  fsp[name] = function guarded (p, ...rest) {
    if (!inside(p)) {
      refused.push({ op: name, path: path.resolve(String(p)) })
      const er = new Error(`oracle refused ${name} outside dest: ${p}`)
      er.code = 'EORACLEGUARD'
      return Promise.reject(er)
    }
    return orig.call(this, p, ...rest)
  }
}

const warnings = []
process.on('log', (level, ...args) => {
  if (level === 'warn' || level === 'error') {
    warnings.push({
      level,
      args: args.map(a => (a instanceof Error ? a.message : typeof a === 'string' ? a : String(a))),
    })
  }
})

let done = false
const finish = (obj) => {
  if (done) {
    return
  }
  done = true
  process.stdout.write(JSON.stringify({ ...obj, warnings, refused }) + '\n')
  process.exitCode = 0
}
// via: 'rejection' when pacote.extract's promise rejected (npm reports that as an install
// error); 'uncaughtException'/'unhandledRejection' when something threw outside it (npm's own
// handlers would crash the command instead).
const fail = (via) => (er) => finish({
  ok: false,
  error: er && er.message !== undefined ? String(er.message) : String(er),
  code: er && er.code !== undefined ? String(er.code) : null,
  via,
})
process.on('uncaughtException', fail('uncaughtException'))
process.on('unhandledRejection', fail('unhandledRejection'))

const npmRoot = npmRootArg ||
  execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim()
const pacote = require(path.join(npmRoot, 'npm', 'node_modules', 'pacote'))

pacote.extract('file:' + tgz, dest, { cache, umask: 0o022 })
  .then(() => finish({ ok: true, error: null, code: null, via: null }), fail('rejection'))
