// A whole local Bluesky network (PLC, PDS, AppView with bsync and Ozone) from @atproto/dev-env,
// driven over stdin/stdout by tests/peers/bluesky.py.
//
//   node network.mjs --plc PORT --pds PORT --bsky PORT --schema NAME [--rate-limits]
//
// --rate-limits turns on the PDS's production rate limits (e.g. 30 sign-ins per 5 minutes per handle).
//
// env: SOCIALDESK_BLUESKY_PEER_DIR  the folder install.sh installed into (holds node_modules)
//      DB_POSTGRES_URL              PostgreSQL for the AppView, bsync and Ozone (one schema each)
//      REDIS_HOST                   host:port of Redis (the AppView's cache)
//
// When ready it prints one JSON line {"ready":true,"pds":...,"appview":...,"plc":...}; then it
// answers one JSON line per command line read from stdin:
//   {"cmd":"account","name":"alice","display_name":"Alice"}  -> {"handle","password","app_password","did"}
//                                                              (indexed by the AppView before it answers)
//   {"cmd":"process"}                                           -> {"ok":true} (the AppView has indexed everything)
// An error answers {"error": "..."}. Stdin closing or SIGTERM shuts the network down and drops
// its PostgreSQL schemas. Everything else (logs) goes to stderr: stdout carries only the protocol.
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

const reply = process.stdout.write.bind(process.stdout)
const send = (value) => reply(JSON.stringify(value) + '\n')
// Libraries that log with console.log must not break the protocol on stdout.
console.log = console.info = console.debug = (...args) => console.error(...args)
process.env.LOG_ENABLED ??= 'false'

const { values: args } = parseArgs({
  options: {
    plc: { type: 'string' },
    pds: { type: 'string' },
    bsky: { type: 'string' },
    schema: { type: 'string' },
    'rate-limits': { type: 'boolean', default: false },
  },
})
const peerDir = process.env.SOCIALDESK_BLUESKY_PEER_DIR
const dbUrl = process.env.DB_POSTGRES_URL
const schema = args.schema
if (!peerDir || !dbUrl || !process.env.REDIS_HOST || !/^[a-z_]+$/.test(schema ?? '')) {
  console.error('usage: SOCIALDESK_BLUESKY_PEER_DIR=... DB_POSTGRES_URL=... REDIS_HOST=host:port ' +
    'node network.mjs --plc PORT --pds PORT --bsky PORT --schema letters_and_underscores')
  process.exit(2)
}
// The packages live in the cache folder, not beside this script.
const require = createRequire(`${peerDir}/package.json`)
const { TestNetwork } = await import(require.resolve('@atproto/dev-env'))
const pg = require('pg')

// TestNetwork.create names its schemas after ours.
const SCHEMAS = [`appview_${schema}`, `bsync_${schema}`, `ozone_${schema}`]

async function dropSchemas () {
  const client = new pg.Client({ connectionString: dbUrl })
  try {
    await client.connect()
    for (const name of SCHEMAS) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
  } catch (err) {
    console.error(`could not drop the schemas ${SCHEMAS.join(', ')}: ${err.message}`)
  } finally {
    await client.end().catch(() => {})
  }
}

let network
let closing = null
function shutdown (code = 0) {
  closing ??= (async () => {
    try {
      if (network) await network.close()
    } catch (err) {
      console.error(`closing the network: ${err.stack ?? err}`)
    }
    await dropSchemas()
    process.exit(code)
  })()
  return closing
}
process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))

try {
  network = await TestNetwork.create({
    dbPostgresUrl: dbUrl,
    dbPostgresSchema: schema,
    plc: { port: Number(args.plc) },
    pds: { port: Number(args.pds), rateLimitsEnabled: args['rate-limits'] },
    bsky: { port: Number(args.bsky) },
  })
} catch (err) {
  console.error(`the network did not start: ${err.stack ?? err}`)
  await shutdown(1)
}
const seed = network.getSeedClient()

const commands = {
  async account ({ name, display_name: displayName }) {
    if (!/^[a-z][a-z0-9-]{2,17}$/.test(name ?? '')) throw new Error(`bad account name ${JSON.stringify(name)}`)
    const handle = `${name}.test`
    const password = `${name}-password`
    const { did } = await seed.createAccount(name, { email: `${name}@example.test`, handle, password })
    if (displayName) {
      // SeedClient.createProfile reads an avatar the published package does not ship.
      await seed.agent.com.atproto.repo.createRecord(
        { repo: did, collection: 'app.bsky.actor.profile', rkey: 'self', record: { $type: 'app.bsky.actor.profile', displayName } },
        { encoding: 'application/json', headers: seed.getHeaders(did) })
    }
    // Apps sign in with an app password, as socialdesk asks people to.
    const { data } = await seed.agent.com.atproto.server.createAppPassword(
      { name: 'socialdesk' }, { encoding: 'application/json', headers: seed.getHeaders(did) })
    // Until the AppView has indexed the account, its profile is "not found", and so is every
    // sign-in that reads it (the Python SDK's Client.login does).
    await network.processAll()
    return { handle, password, app_password: data.password, did }
  },
  async process () {
    await network.processAll()
    return { ok: true }
  },
}

send({ ready: true, pds: network.pds.url, appview: network.bsky.url, plc: network.plc.url })

// One command at a time, in order: answers come back in the order asked.
const lines = createInterface({ input: process.stdin })
for await (const line of lines) {
  if (!line.trim()) continue
  try {
    const command = JSON.parse(line)
    const run = commands[command.cmd]
    if (!run) throw new Error(`unknown command ${JSON.stringify(command.cmd)}`)
    send(await run(command))
  } catch (err) {
    send({ error: String(err.message ?? err) })
  }
}
await shutdown(0)
