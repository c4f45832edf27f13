// The policy's limits.calls bounds how many calls corral serve runs at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratch, connect } from './lib.mjs';

let dirs;
before(() => { dirs = scratch(); });
after(() => dirs.cleanup());

// A waiter that looks for a file a second call creates: it sees it only when
// the two calls overlap.
async function overlapped(calls) {
	const policy = join(dirs.root, `calls-${calls}.json`);
	writeFileSync(policy, JSON.stringify({ extends: 'workspace-write', limits: { calls } }));
	const client = await connect(dirs, { args: ['--policy', policy] });
	try {
		const waiter = client.callTool({
			name: 'exec',
			arguments: { command: `i=0; while [ ! -f go-${calls} ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done; ` +
				`test -f go-${calls} && echo overlapped || echo one-at-a-time` },
		});
		const starter = client.callTool({ name: 'exec', arguments: { command: `echo > go-${calls}` } });
		const [w, s] = await Promise.all([waiter, starter]);
		assert.equal(s.isError, false);
		return w.structuredContent.stdout.trim();
	} finally {
		await client.close();
	}
}

test('limits.calls = 1 runs the calls one at a time', async () => {
	assert.equal(await overlapped(1), 'one-at-a-time');
});

test('limits.calls = 2 lets two calls run at once', async () => {
	assert.equal(await overlapped(2), 'overlapped');
});
