// corral serve with the official TypeScript SDK's Client over stdio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, scratch, text, sdk, hostilePlugins, hostilePolicy } from './lib.mjs';

let dirs, client;

before(async () => {
	dirs = scratch();
	client = await connect(dirs);
});
after(async () => {
	await client?.close();
	dirs?.cleanup();
});

test('the handshake names corral and its capabilities', () => {
	assert.equal(client.getServerVersion().name, 'corral');
	const caps = client.getServerCapabilities();
	assert.ok(caps.tools, 'tools capability');
	assert.ok(caps.logging, 'logging capability');
	assert.match(client.getInstructions(), /isError/);
});

test('tools/list has every built-in with schemas and annotations', async () => {
	const { tools } = await client.listTools();
	const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
	for (const name of ['exec', 'read_file', 'write_file', 'edit_file', 'list_files', 'grep']) {
		assert.ok(byName[name], `${name} is listed`);
		assert.equal(byName[name].inputSchema.type, 'object', `${name} inputSchema`);
		assert.equal(typeof byName[name].annotations.readOnlyHint, 'boolean');
		assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
	}
	assert.equal(byName.read_file.annotations.readOnlyHint, true);
	assert.equal(byName.write_file.annotations.readOnlyHint, false);
	assert.ok(byName.exec.outputSchema, 'exec declares an output schema');
});

test('read_file', async () => {
	const r = await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } });
	assert.equal(r.isError, false);
	assert.match(text(r), /1\thello from the workspace/);
});

test('a result over 100,000 bytes is cut, saying how much was left out and how to read on', async () => {
	// 2000 lines of 200 bytes: read_file shows them all, about 414 kB.
	const lines = Array.from({ length: 2000 }, (_, i) => `line ${i + 1} `.padEnd(200, 'y'));
	writeFileSync(join(dirs.ws, 'huge.txt'), lines.join('\n') + '\n');
	const r = await client.callTool({ name: 'read_file', arguments: { path: 'huge.txt' } });
	assert.equal(r.isError, false);
	const t = text(r);
	assert.ok(Buffer.byteLength(t) < 100000 + 400, `${Buffer.byteLength(t)} bytes`);
	const m = t.match(/\[corral: the result was cut here: (\d+) of its (\d+) bytes were left out.*call read_file again with offset (\d+)/);
	assert.ok(m, t.slice(-400));
	const [left, total, next] = m.slice(1).map(Number);
	// What was kept ends with whole lines, the last one just before the offset.
	const kept = t.slice(0, t.indexOf('[corral:'));
	assert.equal(Buffer.byteLength(kept) + left, total);
	assert.match(kept, new RegExp(`\\n\\s*${next - 1}\\tline ${next - 1} y+\\n$`));
	// The offset it names reads on from there.
	const more = await client.callTool({ name: 'read_file', arguments: { path: 'huge.txt', offset: next, limit: 5 } });
	assert.match(text(more), new RegExp(`^\\s*${next}\\tline ${next} `));
	// exec's output is cut in the text and in structuredContent alike.
	const e = await client.callTool({ name: 'exec', arguments: { command: 'head -c 200000 huge.txt' } });
	assert.equal(e.isError, false, text(e).slice(-300));
	assert.ok(Buffer.byteLength(text(e)) < 100000 + 400);
	assert.match(e.structuredContent.stdout, /\[corral: the result was cut here: \d+ of its 200000 bytes/);
	assert.ok(Buffer.byteLength(e.structuredContent.stdout) < 100000 + 400);
});

test('write_file then edit_file change the workspace', async () => {
	let r = await client.callTool({
		name: 'write_file', arguments: { path: 'sub/new.txt', content: 'one two three\n' },
	});
	assert.equal(r.isError, false, text(r));
	assert.equal(readFileSync(join(dirs.ws, 'sub/new.txt'), 'utf8'), 'one two three\n');
	r = await client.callTool({
		name: 'edit_file',
		arguments: { path: 'sub/new.txt', old_string: 'two', new_string: 'TWO' },
	});
	assert.equal(r.isError, false, text(r));
	assert.equal(readFileSync(join(dirs.ws, 'sub/new.txt'), 'utf8'), 'one TWO three\n');
});

test('list_files and grep', async () => {
	let r = await client.callTool({ name: 'list_files', arguments: {} });
	assert.equal(r.isError, false, text(r));
	assert.match(text(r), /hello\.txt/);
	r = await client.callTool({ name: 'grep', arguments: { pattern: 'second' } });
	assert.equal(r.isError, false, text(r));
	assert.match(text(r), /hello\.txt:2:second line/);
});

test('exec returns structuredContent that fits its outputSchema', async () => {
	const r = await client.callTool({ name: 'exec', arguments: { command: 'echo hi; exit 3' } });
	assert.equal(r.structuredContent.exit_code, 3);
	assert.equal(r.structuredContent.stdout, 'hi\n');
	assert.match(text(r), /exit code 3/);
});

test('bad arguments are an error result the model can act on', async () => {
	const r = await client.callTool({ name: 'read_file', arguments: { nope: 1 } });
	assert.equal(r.isError, true);
	assert.match(text(r), /bad arguments for read_file/);
});

test('a path outside the workspace is an error result', async () => {
	const r = await client.callTool({ name: 'write_file', arguments: { path: '/etc/corral-x', content: 'x' } });
	assert.equal(r.isError, true);
	assert.ok(!existsSync('/etc/corral-x'));
});

test('an unknown tool is a JSON-RPC error -32602', async () => {
	const { types } = await sdk();
	await assert.rejects(client.callTool({ name: 'raed_file', arguments: {} }), (e) => {
		assert.ok(e instanceof types.McpError);
		assert.equal(e.code, -32602);
		assert.match(e.message, /did you mean 'read_file'/);
		return true;
	});
});

test('logging/setLevel is accepted', async () => {
	await client.setLoggingLevel('debug');
	await client.setLoggingLevel('warning');
});

test('calls run concurrently, each in its own sandbox', async () => {
	// The first call waits for a file only the second call creates: with
	// calls run one at a time this would never finish.
	const waiter = client.callTool({
		name: 'exec',
		arguments: { command: 'i=0; while [ ! -f go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; cat go' },
	});
	const starter = await client.callTool({ name: 'exec', arguments: { command: 'echo went > go' } });
	assert.equal(starter.structuredContent.exit_code, 0);
	const r = await waiter;
	assert.equal(r.structuredContent.stdout, 'went\n');
	// Both sandboxes protected the missing .git with one shared empty
	// placeholder, removed when the last of them ended.
	assert.equal(r.isError, false, text(r));
	assert.ok(!existsSync(join(dirs.ws, '.git')), 'the placeholder is gone');
});

test('cancellation kills the call sandbox and sends no result', async () => {
	const ac = new AbortController();
	const started = Date.now();
	const call = client.callTool(
		{ name: 'exec', arguments: { command: 'sleep 3; echo late > cancelled-marker' } },
		undefined, { signal: ac.signal });
	setTimeout(() => ac.abort('changed my mind'), 500);
	await assert.rejects(call);
	assert.ok(Date.now() - started < 2500, 'the abort returned promptly');
	await new Promise((r) => setTimeout(r, 3500));
	assert.ok(!existsSync(join(dirs.ws, 'cancelled-marker')), 'the command was killed');
	// The connection is still good.
	const r = await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } });
	assert.equal(r.isError, false);
});

test('progress notifications arrive before the result, from a plugin that reports them', async () => {
	const c = await connect(dirs, {
		args: ['--policy', hostilePolicy], env: { CORRAL_PLUGIN_PATH: hostilePlugins },
	});
	try {
		const seen = [];
		let resulted = false;
		const r = await c.callTool({ name: 'hostile_progress', arguments: {} }, undefined, {
			onprogress: (p) => {
				assert.ok(!resulted, 'no progress after the result');
				seen.push(p);
			},
		});
		resulted = true;
		assert.equal(r.isError, false, text(r));
		assert.ok(seen.length >= 1, 'at least one progress notification');
		assert.equal(seen.at(-1).total, 2);
		assert.ok(seen.every((p, i) => i === 0 || p.progress > seen[i - 1].progress));
	} finally {
		await c.close();
	}
});

test('a crashing plugin is an error result and the server carries on', async () => {
	const c = await connect(dirs, {
		args: ['--policy', hostilePolicy], env: { CORRAL_PLUGIN_PATH: hostilePlugins },
	});
	try {
		const r = await c.callTool({ name: 'hostile_crash', arguments: {} });
		assert.equal(r.isError, true);
		assert.match(text(r), /hostile_crash crashed: killed by SIGSEGV/);
		const ok = await c.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } });
		assert.equal(ok.isError, false);
	} finally {
		await c.close();
	}
});

test('the audit log is written under XDG_STATE_HOME, not in the workspace', async () => {
	const { execFileSync } = await import('node:child_process');
	const found = execFileSync('find', [dirs.state, '-name', '*.jsonl'], { encoding: 'utf8' });
	assert.match(found, /jsonl/);
	const log = readFileSync(found.trim().split('\n')[0], 'utf8');
	assert.match(log, /"tool":"read_file"/);
});
