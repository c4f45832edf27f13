// corral serve with a policy that has rules: a denied call, and an "ask"
// answered through MCP elicitation (accept, decline) or refused when the
// client cannot be asked. These need session_call() to apply the rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, scratch, text, sdk, here } from './lib.mjs';

const policy = join(here, 'data', 'ask-write.json');
let dirs;
before(() => { dirs = scratch(); });
after(() => dirs.cleanup());

// A client that declares elicitation and answers each question with @answer.
async function asking(answer, questions) {
	const { types } = await sdk();
	const c = await connect(dirs, { args: ['--policy', policy], capabilities: { elicitation: {} } });
	c.setRequestHandler(types.ElicitRequestSchema, async (req) => {
		questions.push(req.params);
		return answer;
	});
	return c;
}

test('a denied call is an error result naming the rule', async () => {
	const c = await connect(dirs, { args: ['--policy', policy] });
	try {
		const r = await c.callTool({ name: 'exec', arguments: { command: 'rm hello.txt' } });
		assert.equal(r.isError, true);
		assert.match(text(r), /denied/i);
		assert.match(text(r), /ask-write\.json:\d+/);
		assert.ok(existsSync(join(dirs.ws, 'hello.txt')));
	} finally {
		await c.close();
	}
});

test('an ask accepted through elicitation runs the call', async () => {
	const questions = [];
	const c = await asking({ action: 'accept', content: { decision: 'yes' } }, questions);
	try {
		const r = await c.callTool({ name: 'write_file', arguments: { path: 'yes.txt', content: 'y\n' } });
		assert.equal(r.isError, false, text(r));
		assert.equal(questions.length, 1);
		assert.match(questions[0].message, /write_file/);
		assert.deepEqual(questions[0].requestedSchema.properties.decision.enum, ['yes', 'always', 'no']);
		assert.equal(readFileSync(join(dirs.ws, 'yes.txt'), 'utf8'), 'y\n');
	} finally {
		await c.close();
	}
});

test('an ask declined through elicitation is refused and changes nothing', async () => {
	const questions = [];
	const c = await asking({ action: 'decline' }, questions);
	try {
		const r = await c.callTool({ name: 'write_file', arguments: { path: 'no.txt', content: 'n\n' } });
		assert.equal(r.isError, true);
		assert.match(text(r), /declined/i);
		assert.equal(questions.length, 1);
		assert.ok(!existsSync(join(dirs.ws, 'no.txt')));
	} finally {
		await c.close();
	}
});

test('"always" approves the later calls of the rule without asking again', async () => {
	const questions = [];
	const c = await asking({ action: 'accept', content: { decision: 'always' } }, questions);
	try {
		for (const f of ['a1.txt', 'a2.txt']) {
			const r = await c.callTool({ name: 'write_file', arguments: { path: f, content: f } });
			assert.equal(r.isError, false, text(r));
		}
		assert.equal(questions.length, 1);
	} finally {
		await c.close();
	}
});

test('without elicitation an ask is refused as needing approval', async () => {
	const c = await connect(dirs, { args: ['--policy', policy] });
	try {
		const r = await c.callTool({ name: 'write_file', arguments: { path: 'un.txt', content: 'u' } });
		assert.equal(r.isError, true);
		assert.match(text(r), /approval/i);
		assert.ok(!existsSync(join(dirs.ws, 'un.txt')));
	} finally {
		await c.close();
	}
});

test('2026-07-28: an ask is an input_required result, answered by a retry', async () => {
	const { spawn } = await import('node:child_process');
	const { corral, serverEnv } = await import('./lib.mjs');
	const child = spawn(corral, ['serve', '--workspace', dirs.ws, '--policy', policy], {
		env: serverEnv(dirs), stdio: ['pipe', 'pipe', 'inherit'],
	});
	const lines = [];
	let buf = '';
	child.stdout.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			lines.push(JSON.parse(buf.slice(0, i)));
			buf = buf.slice(i + 1);
		}
	});
	const answer = async (id) => {
		for (let n = 0; n < 200; n++) {
			const k = lines.findIndex((m) => m.id === id);
			if (k >= 0)
				return lines.splice(k, 1)[0];
			await new Promise((r) => setTimeout(r, 50));
		}
		throw new Error(`no answer to ${id}`);
	};
	const meta = {
		'io.modelcontextprotocol/protocolVersion': '2026-07-28',
		'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
	};
	const call = (id, extra = {}) => child.stdin.write(JSON.stringify({
		jsonrpc: '2.0', id, method: 'tools/call',
		params: { name: 'write_file', arguments: { path: 'ir.txt', content: 'ir\n' }, _meta: meta, ...extra },
	}) + '\n');
	try {
		call(1);
		const first = (await answer(1)).result;
		assert.equal(first.resultType, 'input_required');
		assert.equal(first.inputRequests['dev.corral/approval'].method, 'elicitation/create');
		assert.ok(!existsSync(join(dirs.ws, 'ir.txt')));
		call(2, {
			inputResponses: { 'dev.corral/approval': { action: 'accept', content: { decision: 'yes' } } },
			requestState: first.requestState,
		});
		const second = (await answer(2)).result;
		assert.equal(second.resultType, 'complete');
		assert.equal(second.isError, false);
		assert.equal(readFileSync(join(dirs.ws, 'ir.txt'), 'utf8'), 'ir\n');
	} finally {
		child.stdin.end();
		await new Promise((r) => child.on('exit', r));
	}
});
