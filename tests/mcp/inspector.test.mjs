// corral serve driven by the MCP Inspector CLI (it needs Node >= 22, which
// package.json installs as the `node` package).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { corral, scratch, serverEnv, need, here } from './lib.mjs';

const run = promisify(execFile);
let dirs, node22, cli;

before(() => {
	dirs = scratch();
	need('@modelcontextprotocol/inspector/package.json');
	need('node/package.json');
	node22 = join(here, 'node_modules', 'node', 'bin', 'node');
	cli = join(here, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients',
		'launcher', 'build', 'index.js');
});
after(() => dirs.cleanup());

async function inspector(...args) {
	const { stdout } = await run(node22, [cli, '--cli', corral, 'serve', '--workspace', dirs.ws, ...args], {
		env: { ...process.env, ...serverEnv(dirs) }, timeout: 60000, maxBuffer: 16 << 20,
	});
	return JSON.parse(stdout);
}

test('inspector --cli tools/list', async () => {
	const out = await inspector('--method', 'tools/list');
	const names = out.tools.map((t) => t.name);
	for (const n of ['exec', 'read_file', 'write_file', 'edit_file', 'list_files', 'grep'])
		assert.ok(names.includes(n), n);
});

test('inspector --cli tools/call read_file', async () => {
	const out = await inspector('--method', 'tools/call', '--tool-name', 'read_file',
		'--tool-arg', 'path=hello.txt');
	assert.equal(out.isError, false);
	assert.match(out.content[0].text, /hello from the workspace/);
});

test('inspector --cli tools/call exec returns structured content', async () => {
	const out = await inspector('--method', 'tools/call', '--tool-name', 'exec',
		'--tool-arg', 'command=echo from-inspector');
	assert.equal(out.structuredContent.stdout, 'from-inspector\n');
});
