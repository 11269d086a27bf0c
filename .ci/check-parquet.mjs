#!/usr/bin/env node
// Reads a Parquet file with hyparquet, an independent pure-JavaScript implementation, and prints its row count,
// row groups, created_by, key/value metadata and columns (type, repetition, null count) as JSON.
//
//   npm install --prefix /tmp/pqcheck hyparquet@1.31.5
//   node .ci/check-parquet.mjs FILE.parquet [--expect EXPECTED.jsonl]
//
// --expect compares every value with a JSON-lines file (one object per row, keys = columns); 64-bit integers and
// doubles may be given as strings there so that no JSON parser rounds them. Exits 1 on any mismatch or read error.
// PQCHECK_PREFIX overrides where hyparquet was installed (default /tmp/pqcheck).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
const file = args[0]
const expectIdx = args.indexOf('--expect')
const expectFile = expectIdx >= 0 ? args[expectIdx + 1] : null
if (!file || file.startsWith('--') || (expectIdx >= 0 && !expectFile)) {
  console.error('usage: node .ci/check-parquet.mjs FILE.parquet [--expect EXPECTED.jsonl]')
  process.exit(2)
}
const prefix = path.resolve(process.env.PQCHECK_PREFIX ?? '/tmp/pqcheck')
const require = createRequire(path.join(prefix, 'package.json'))
const hyparquet = await import(pathToFileURL(require.resolve('hyparquet')).href)
const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = hyparquet

const buffer = await asyncBufferFromFile(file)
const metadata = await parquetMetadataAsync(buffer)
const rows = await parquetReadObjects({ file: buffer, metadata })

const columns = metadata.schema.slice(1).map(el => ({
  name: el.name,
  type: el.type,
  logical: el.logical_type?.type ?? el.converted_type ?? null,
  repetition: el.repetition_type,
  nulls: rows.reduce((n, r) => n + (r[el.name] === null || r[el.name] === undefined ? 1 : 0), 0),
}))
const summary = {
  file,
  reader: 'hyparquet ' + JSON.parse(readFileSync(path.join(prefix, 'node_modules/hyparquet/package.json'), 'utf8')).version,
  rows: rows.length,
  num_rows: Number(metadata.num_rows),
  row_groups: metadata.row_groups.length,
  created_by: metadata.created_by ?? null,
  key_value_metadata: Object.fromEntries((metadata.key_value_metadata ?? []).map(kv => [kv.key, kv.value ?? null])),
  columns,
}
console.log(JSON.stringify(summary, null, 2))
let failures = 0
if (summary.rows !== summary.num_rows) {
  console.error(`row count ${summary.rows} differs from footer num_rows ${summary.num_rows}`)
  failures++
}

/** A canonical string for a value read by hyparquet or parsed from the expectation file. */
function canon(v) {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') {
    return Object.is(v, -0) ? '-0' : String(v)
  }
  return JSON.stringify(v)
}

/** Expected values: strings that hold a number (for a numeric column) are compared numerically. */
function canonExpected(v, actual) {
  if (typeof v === 'string' && (typeof actual === 'bigint' || typeof actual === 'number')) {
    if (typeof actual === 'bigint') return BigInt(v).toString()
    return canon(Number(v))
  }
  return canon(v)
}

if (expectFile) {
  const expected = readFileSync(expectFile, 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l))
  if (expected.length !== rows.length) {
    console.error(`expected ${expected.length} rows, read ${rows.length}`)
    failures++
  }
  for (let i = 0; i < Math.min(expected.length, rows.length) && failures < 20; i++) {
    for (const c of columns) {
      const a = rows[i][c.name]
      const e = expected[i][c.name]
      if (canon(a) !== canonExpected(e, a)) {
        console.error(`row ${i}, column ${c.name}: expected ${canonExpected(e, a).slice(0, 80)}, read ${canon(a).slice(0, 80)}`)
        failures++
      }
    }
  }
  if (failures === 0) console.error(`all ${rows.length} rows x ${columns.length} columns match ${expectFile}`)
}
process.exit(failures === 0 ? 0 : 1)
