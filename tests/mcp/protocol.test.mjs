// corral serve at the wire: what no SDK sends on purpose. Raw JSON lines
// over the server's stdin and stdout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { corral, scratch, serverEnv } from './lib.mjs';

// A server and a reader of its stdout, line by line.
function start(dirs) {
	const child = spawn(corral, ['serve', '--workspace', dirs.ws], {
		env: serverEnv(dirs), stdio: ['pipe', 'pipe', 'pipe'],
	});
	const lines = [], waiters = [];
	let buf = '', stderr = '';
	child.stderr.on('data', (d) => { stderr += d; });
	child.stdout.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			lines.push(buf.slice(0, i));
			buf = buf.slice(i + 1);
			waiters.splice(0).forEach((w) => w());
		}
	});
	const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
	return {
		child, exited, stderr: () => stderr,
		send: (s) => child.stdin.write(s.endsWith('\n') ? s : s + '\n'),
		// The next line whose raw text matches @re.
		async expect(re, ms = 10000) {
			const deadline = Date.now() + ms;
			for (;;) {
				const k = lines.findIndex((l) => re.test(l));
				if (k >= 0)
					return lines.splice(k, 1)[0];
				if (Date.now() > deadline)
					throw new Error(`no line matching ${re}; got:\n${lines.join('\n')}\nstderr: ${stderr}`);
				await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
			}
		},
		lines,
	};
}

let dirs, s;
before(async () => {
	dirs = scratch();
	s = start(dirs);
	s.send('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}');
	await s.expect(/"id":0,"result".*"protocolVersion":"2025-06-18"/);
	s.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
});
after(async () => {
	s.child.stdin.end();
	await s.exited;
	dirs.cleanup();
});

test('ids are echoed exactly: numbers as written, strings as the same string', async () => {
	// Numbers keep their text (no trip through a double).
	for (const id of ['9007199254740993', '1.50', '-0', '1e400', '-1E-7']) {
		s.send(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`);
		const line = await s.expect(new RegExp(`"id":${id.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')},"result":\\{\\}`));
		assert.ok(line);
	}
	// Strings are the same value, whatever escapes the client used.
	for (const id of ['"x\\u0041\\n"', '"\u00e9\u{1F600}"', '"\\ud83d\\ude00"', '""']) {
		s.send(`{"jsonrpc":"2.0","id":${id},"method":"ping"}`);
		const want = JSON.parse(id);
		const line = await s.expect(/"result":\{\}/);
		assert.equal(JSON.parse(line).id, want);
	}
});

test('an unknown method is -32601 at once, even while a call runs', async () => {
	s.send('{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"exec","arguments":{"command":"sleep 2"}}}');
	s.send('{"jsonrpc":"2.0","id":"u","method":"resources/list"}');
	const line = await s.expect(/"id":"u"/);
	assert.match(line, /"code":-32601/);
	assert.equal(s.lines.some((l) => /"id":"slow"/.test(l)), false, 'answered before the call ended');
	await s.expect(/"id":"slow","result"/);
});

test('malformed messages get JSON-RPC errors and the server keeps going', async () => {
	const cases = [
		['{"jsonrpc":"2.0","id":1,', -32700],
		['[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600],
		['"just a string"', -32600],
		['{"jsonrpc":"1.0","id":2,"method":"ping"}', -32600],
		['{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600],
		['{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600],
		['{"jsonrpc":"2.0","id":3,"method":7}', -32600],
		['{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"arguments":{}}}', -32602],
		['{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"read_file","arguments":[1]}}', -32602],
		['{"jsonrpc":"2.0","id":6,"method":"logging/setLevel","params":{"level":"loud"}}', -32602],
		['{"jsonrpc":"2.0","id":7,"method":"ping","params":[]}', -32602],
		['[' .repeat(5000) + ']'.repeat(5000), -32700],
	];
	for (const [msg, code] of cases) {
		s.send(msg);
		const line = await s.expect(new RegExp(`"code":${code}`));
		assert.ok(line, msg.slice(0, 60));
	}
	// Invalid UTF-8: a lone continuation byte and an overlong slash.
	s.child.stdin.write(Buffer.from([0x7b, 0x22, 0x80, 0x22, 0x7d, 0x0a]));
	await s.expect(/"code":-32700/);
	s.child.stdin.write(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":8,"method":"p'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}\n')]));
	await s.expect(/"code":-32700/);
	s.send('{"jsonrpc":"2.0","id":"alive","method":"ping"}');
	await s.expect(/"id":"alive","result"/);
});

test('a line over the cap is refused whole, and the next one is served', async () => {
	const big = 'x'.repeat(18 * 1024 * 1024);
	s.send(`{"jsonrpc":"2.0","id":"big","method":"ping","params":{"pad":"${big}"}}`);
	s.send('{"jsonrpc":"2.0","id":"after","method":"ping"}');
	const line = await s.expect(/"code":-32600/, 30000);
	assert.match(line, /longer than/);
	await s.expect(/"id":"after","result"/, 30000);
	assert.equal(s.lines.some((l) => /"id":"big"/.test(l)), false);
});

test('the 2026-07-28 revision: server/discover, _meta versions, resultType', async () => {
	const meta = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}';
	s.send(`{"jsonrpc":"2.0","id":"d","method":"server/discover","params":{${meta}}}`);
	const d = JSON.parse(await s.expect(/"id":"d"/));
	assert.ok(d.result.supportedVersions.includes('2026-07-28'));
	assert.ok(d.result.supportedVersions.includes('2025-06-18'));
	assert.ok(d.result.capabilities.tools);
	s.send(`{"jsonrpc":"2.0","id":"l","method":"tools/list","params":{${meta}}}`);
	const l = JSON.parse(await s.expect(/"id":"l"/));
	assert.equal(l.result.resultType, 'complete');
	s.send(`{"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"read_file","arguments":{"path":"hello.txt"},${meta}}}`);
	const c = JSON.parse(await s.expect(/"id":"c"/));
	assert.equal(c.result.resultType, 'complete');
	assert.equal(c.result.isError, false);
	// Every result of the revision carries resultType, not only the tools' ones.
	assert.equal(d.result.resultType, 'complete');
	s.send(`{"jsonrpc":"2.0","id":"pg","method":"ping","params":{${meta}}}`);
	assert.deepEqual(JSON.parse(await s.expect(/"id":"pg"/)).result, { resultType: 'complete' });
	s.send(`{"jsonrpc":"2.0","id":"lv","method":"logging/setLevel","params":{"level":"warning",${meta}}}`);
	assert.deepEqual(JSON.parse(await s.expect(/"id":"lv"/)).result, { resultType: 'complete' });
	// An older revision's ping is still the empty result.
	s.send('{"jsonrpc":"2.0","id":"pg2","method":"ping"}');
	assert.deepEqual(JSON.parse(await s.expect(/"id":"pg2"/)).result, {});
	s.send('{"jsonrpc":"2.0","id":"v","method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01"}}}');
	const v = JSON.parse(await s.expect(/"id":"v"/));
	assert.equal(v.error.code, -32022);
	assert.match(v.error.message, /Unsupported protocol version/);
	assert.ok(v.error.data.supported.includes('2026-07-28'));
	assert.equal(v.error.data.requested, '2099-01-01');
});

test('initialize answers a supported version with itself, others with the newest', async () => {
	for (const [asked, got] of [['2025-11-25', '2025-11-25'], ['2025-06-18', '2025-06-18'], ['2024-01-01', '2025-11-25']]) {
		s.send(`{"jsonrpc":"2.0","id":"i${asked}","method":"initialize","params":{"protocolVersion":"${asked}","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`);
		const r = JSON.parse(await s.expect(new RegExp(`"id":"i${asked}"`)));
		assert.equal(r.result.protocolVersion, got);
	}
});

test('stdin closed mid-call: the server exits promptly and the call is killed', async () => {
	const d2 = scratch();
	const t = start(d2);
	try {
		t.send('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}');
		await t.expect(/"id":0,"result"/);
		t.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"exec","arguments":{"command":"sleep 3; echo late > marker"}}}');
		await new Promise((r) => setTimeout(r, 500));
		const closed = Date.now();
		t.child.stdin.end();
		const { code } = await t.exited;
		assert.equal(code, 0, t.stderr());
		assert.ok(Date.now() - closed < 2500, `exited ${Date.now() - closed} ms after stdin closed`);
		await new Promise((r) => setTimeout(r, 3000));
		assert.ok(!existsSync(join(d2.ws, 'marker')), 'the call was killed');
	} finally {
		t.child.kill('SIGKILL');
		d2.cleanup();
	}
});
