// corral serve with a client that stops reading its stdout for a while
// and keeps writing requests: the server must go on reading (calls that
// change the workspace still run, cancellations are taken) and, once the
// client reads again, send every response, in full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corral, scratch, serverEnv } from './lib.mjs';

// A server whose stdout is read line by line into @lines; pause() and
// resume() stop and restart reading it (the pipe fills and the server's
// writes block).
function start(dirs) {
	const child = spawn(corral, ['serve', '--workspace', dirs.ws], {
		env: serverEnv(dirs), stdio: ['pipe', 'pipe', 'pipe'],
	});
	const lines = [];
	let buf = '', stderr = '';
	child.stderr.on('data', (d) => { stderr += d; });
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			lines.push(buf.slice(0, i));
			buf = buf.slice(i + 1);
		}
	});
	const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
	return {
		child, exited, lines, stderr: () => stderr,
		send: (s) => child.stdin.write(s + '\n'),
		// Wait until @pred holds for the responses received, or fail.
		async until(pred, what, ms = 60000) {
			const deadline = Date.now() + ms;
			while (!pred(lines)) {
				if (Date.now() > deadline)
					throw new Error(`${what}: not within ${ms} ms; ${lines.length} lines; stderr: ${stderr}`);
				await new Promise((r) => setTimeout(r, 50));
			}
		},
	};
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const byId = (lines) => {
	const m = new Map();
	for (const l of lines) {
		const o = JSON.parse(l);
		if (o.id !== undefined)
			m.set(o.id, o);
	}
	return m;
};

// 90 lines of 1000 bytes: a read_file result of about 91 kB.
function bigFile(dirs) {
	const body = Array.from({ length: 90 }, (_, i) => `${i + 1}:`.padEnd(1000, 'x')).join('\n') + '\n';
	writeFileSync(join(dirs.ws, 'big.txt'), body);
}
const read = (id) => `{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":{"name":"read_file","arguments":{"path":"big.txt"}}}`;
const init = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"slow-reader","version":"1"}}}';

function checkRead(r, id) {
	assert.ok(r, `no response to ${id}`);
	assert.equal(r.result.isError, false, JSON.stringify(r).slice(0, 300));
	const t = r.result.content[0].text;
	assert.match(t, /\t1:x{10}/, `${id} lacks its first line`);
	assert.match(t, /\t90:x{10}/, `${id} lacks its last line`);
}

test('while stdout is not read, requests are still read and calls still run', async () => {
	const dirs = scratch();
	bigFile(dirs);
	const s = start(dirs);
	try {
		s.send(init);
		await s.until((l) => l.length >= 1, 'initialize');
		s.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
		s.child.stdout.pause();
		// About 550 kB of results: far more than the pipe holds.
		const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
		for (const id of ids)
			s.send(read(id));
		await sleep(1500);
		s.send('{"jsonrpc":"2.0","id":"p","method":"ping"}');
		s.send('{"jsonrpc":"2.0","id":"w","method":"tools/call","params":{"name":"write_file","arguments":{"path":"marker.txt","content":"written while stdout was full\\n"}}}');
		s.send('{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"exec","arguments":{"command":"sleep 30"}}}');
		await sleep(500);
		s.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow","reason":"test"}}');
		// The write ran although nothing has been read from stdout.
		const deadline = Date.now() + 20000;
		while (!existsSync(join(dirs.ws, 'marker.txt')) && Date.now() < deadline)
			await sleep(100);
		assert.ok(existsSync(join(dirs.ws, 'marker.txt')),
			'write_file did not run while the client was not reading: the reader is blocked');
		const before = Date.now();
		s.child.stdout.resume();
		await s.until((l) => ['p', 'w', ...ids].every((id) => byId(l).has(id)), 'every response after resuming');
		const got = byId(s.lines);
		for (const id of ids)
			checkRead(got.get(id), id);
		assert.deepEqual(got.get('p').result, {});
		assert.equal(got.get('w').result.isError, false);
		s.child.stdin.end();
		const { code } = await s.exited;
		assert.equal(code, 0, s.stderr());
		// The cancelled call sent nothing and did not hold the exit up.
		assert.equal(byId(s.lines).has('slow'), false);
		assert.ok(Date.now() - before < 25000, 'the cancelled sleep was not killed');
	} finally {
		s.child.kill('SIGKILL');
		dirs.cleanup();
	}
});

test('past the output cap the calls wait, the reader does not, and nothing is lost', async () => {
	const dirs = scratch();
	bigFile(dirs);
	const s = start(dirs);
	try {
		s.send(init);
		await s.until((l) => l.length >= 1, 'initialize');
		s.child.stdout.pause();
		// About 5.4 MB of results, more than the 4 MiB the server queues.
		const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
		for (const id of ids)
			s.send(read(id));
		s.send('{"jsonrpc":"2.0","id":"p","method":"ping"}');
		// The last call is still waiting for a worker: cancelled, it never runs.
		s.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c59"}}');
		await sleep(3000);
		s.child.stdout.resume();
		const want = ['p', ...ids.slice(0, 59)];
		await s.until((l) => want.every((id) => byId(l).has(id)), 'every response after resuming');
		const got = byId(s.lines);
		for (const id of ids.slice(0, 59))
			checkRead(got.get(id), id);
		// A response is never duplicated or interleaved with another.
		const seen = s.lines.map((l) => JSON.parse(l).id).filter((id) => id !== undefined);
		assert.equal(new Set(seen).size, seen.length,
			`a response came twice: ${seen.filter((id, i) => seen.indexOf(id) !== i).join(', ')}`);
		s.child.stdin.end();
		const { code } = await s.exited;
		assert.equal(code, 0, s.stderr());
		assert.equal(byId(s.lines).has('c59'), false, 'a cancelled call that never started was answered');
	} finally {
		s.child.kill('SIGKILL');
		dirs.cleanup();
	}
});

test('stdin closed while stdout is not read: the server still exits', async () => {
	const dirs = scratch();
	bigFile(dirs);
	const s = start(dirs);
	try {
		s.send(init);
		await s.until((l) => l.length >= 1, 'initialize');
		s.child.stdout.pause();
		for (let i = 0; i < 8; i++)
			s.send(read(`e${i}`));
		await sleep(1500);
		s.child.stdin.end();
		await sleep(1000);
		s.child.stdout.resume();
		let timer;
		const hung = new Promise((r) => { timer = setTimeout(() => r({ code: 'hung' }), 20000); });
		const { code } = await Promise.race([s.exited, hung]);
		clearTimeout(timer);
		assert.equal(code, 0, s.stderr());
	} finally {
		s.child.kill('SIGKILL');
		dirs.cleanup();
	}
});
