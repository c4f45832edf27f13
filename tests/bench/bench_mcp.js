// bench_mcp.js - what a tool call through `corral serve` costs, over one
// stdio connection, against a bare fork+exec measured in the same run.
//
// usage: node bench_mcp.js [-n ROUNDS] CORRAL_BINARY WORKSPACE
//
// Interleaves, round by round (default 200 rounds):
//   cat        spawn /bin/cat FILE from this process: the read_file baseline
//   true       spawn /bin/true from this process: the exec baseline
//   read_file  tools/call read_file FILE, one round trip
//   exec       tools/call exec {"argv": ["/bin/true"]}, one round trip
// and prints medians, the ratios to their baselines, and the server's
// resident memory (VmRSS) after the connection opened and its peak while
// serving. Asserts nothing about speed. Needs the SDK in tests/mcp
// (./.ci/deps.sh installs it).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
let rounds = 200;
if (argv[0] === '-n') {
	rounds = Number(argv[1]);
	argv.splice(0, 2);
}
if (argv.length !== 2 || !(rounds > 0)) {
	console.error('usage: node bench_mcp.js [-n ROUNDS] CORRAL_BINARY WORKSPACE');
	process.exit(2);
}
const [corral, ws] = argv;

const mcpDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'mcp');
const require = createRequire(join(mcpDir, 'package.json'));
let sdkIndex, sdkStdio;
try {
	sdkIndex = require.resolve('@modelcontextprotocol/sdk/client/index.js');
	sdkStdio = require.resolve('@modelcontextprotocol/sdk/client/stdio.js');
} catch {
	console.error('bench_mcp.js: the MCP SDK is not installed in tests/mcp: run ./.ci/deps.sh');
	process.exit(1);
}
const { Client } = await import(pathToFileURL(sdkIndex));
const { StdioClientTransport } = await import(pathToFileURL(sdkStdio));

const file = join(ws, 'bench.txt');
writeFileSync(file, 'a line of text\n'.repeat(100));

function rssKiB(pid) {
	const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) : NaN;
}
const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const transport = new StdioClientTransport({
	command: corral, args: ['serve', '--workspace', ws], env: process.env, stderr: 'ignore',
});
const client = new Client({ name: 'bench', version: '1' });
await client.connect(transport);
const pid = transport.pid;
const rssStart = rssKiB(pid);
let rssPeak = rssStart;

const t = { cat: [], true: [], read_file: [], exec: [] };
for (let i = 0; i < rounds; i++) {
	let t0 = process.hrtime.bigint();
	spawnSync('/bin/cat', [file], { stdio: ['ignore', 'pipe', 'ignore'] });
	t.cat.push(ms(t0));
	t0 = process.hrtime.bigint();
	spawnSync('/bin/true', [], { stdio: 'ignore' });
	t.true.push(ms(t0));
	t0 = process.hrtime.bigint();
	const r = await client.callTool({ name: 'read_file', arguments: { path: 'bench.txt' } });
	t.read_file.push(ms(t0));
	if (r.isError)
		throw new Error(`read_file failed: ${JSON.stringify(r.content)}`);
	t0 = process.hrtime.bigint();
	const e = await client.callTool({ name: 'exec', arguments: { argv: ['/bin/true'] } });
	t.exec.push(ms(t0));
	if (e.structuredContent?.exit_code !== 0)
		throw new Error(`exec failed: ${JSON.stringify(e.content)}`);
	rssPeak = Math.max(rssPeak, rssKiB(pid));
}
await client.close();

const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
console.log(`corral serve, ${rounds} rounds, medians of one round trip over one connection`);
console.log(`  cat (spawn)       ${m.cat.toFixed(3)} ms   1.00`);
console.log(`  read_file (MCP)   ${m.read_file.toFixed(3)} ms   ${(m.read_file / m.cat).toFixed(2)} x cat`);
console.log(`  true (spawn)      ${m.true.toFixed(3)} ms   1.00`);
console.log(`  exec true (MCP)   ${m.exec.toFixed(3)} ms   ${(m.exec / m.true).toFixed(2)} x true`);
console.log(`  server VmRSS      ${rssStart} KiB after connecting, ${rssPeak} KiB peak while serving`);
