#!/usr/bin/env node
// Reads a Parquet file with DuckDB (the @duckdb/node-api npm package bundles the native engine) and prints the row
// count, row groups, created_by and per-column type and null count as JSON; exits 1 if DuckDB cannot read the file or
// its row count differs from the footer.
//
//   npm install --prefix /tmp/pqduck @duckdb/node-api@1.5.6-r.1
//   node .ci/check-parquet-duckdb.mjs FILE.parquet
//
// PQDUCK_PREFIX overrides where @duckdb/node-api was installed (default /tmp/pqduck).
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const file = process.argv[2]
if (!file) {
  console.error('usage: node .ci/check-parquet-duckdb.mjs FILE.parquet')
  process.exit(2)
}
const prefix = path.resolve(process.env.PQDUCK_PREFIX ?? '/tmp/pqduck')
const require = createRequire(path.join(prefix, 'package.json'))
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href)
const con = await (await DuckDBInstance.create(':memory:')).connect()
const rows = async sql => (await con.runAndReadAll(sql)).getRowObjectsJson()
const src = `read_parquet('${file.replaceAll("'", "''")}')`

const [meta] = await rows(`SELECT created_by, num_rows, num_row_groups FROM parquet_file_metadata('${file.replaceAll("'", "''")}')`)
const described = await rows(`DESCRIBE SELECT * FROM ${src}`)
const counts = described.map(c => `count("${c.column_name.replaceAll('"', '""')}")`).join(', ')
const [agg] = await rows(`SELECT count(*) AS n${counts ? ', ' + counts : ''} FROM ${src}`)
const values = Object.values(agg)
const summary = {
  file,
  reader: 'duckdb',
  rows: Number(values[0]),
  num_rows: Number(meta.num_rows),
  row_groups: Number(meta.num_row_groups),
  created_by: meta.created_by,
  columns: described.map((c, i) => ({ name: c.column_name, type: c.column_type, nulls: Number(values[0]) - Number(values[i + 1]) })),
}
console.log(JSON.stringify(summary, null, 2))
if (summary.rows !== summary.num_rows) {
  console.error(`row count ${summary.rows} differs from footer num_rows ${summary.num_rows}`)
  process.exit(1)
}
