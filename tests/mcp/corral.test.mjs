// corral's own tools over MCP: checkpoint_list and checkpoint_diff, off by
// default and offered when the policy's tools.corral names them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { connect, scratch, text } from './lib.mjs';

function withPolicy(dirs, extra) {
	const file = join(dirs.root, 'policy.json');
	writeFileSync(file, JSON.stringify({ extends: 'workspace-write', ...extra }));
	return ['--policy', file];
}

// The audit log's records, from the state directory.
function auditRecords(dirs) {
	const found = execFileSync('find', [dirs.state, '-name', '*.jsonl'], { encoding: 'utf8' }).trim();
	assert.ok(found, 'an audit log under the state directory');
	return found.split('\n').flatMap((f) =>
		readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}

test('off by default: not listed, and a call is an unknown tool', async () => {
	const dirs = scratch();
	const client = await connect(dirs);
	try {
		const { tools } = await client.listTools();
		const names = tools.map((t) => t.name);
		assert.ok(names.includes('read_file'));
		assert.ok(!names.includes('checkpoint_list') && !names.includes('checkpoint_diff'), names.join(','));
		await assert.rejects(client.callTool({ name: 'checkpoint_list', arguments: {} }),
			(e) => e.code === -32602 && /no tool named 'checkpoint_list'/.test(e.message));
	} finally {
		await client.close();
		dirs.cleanup();
	}
});

test('enabled: listed read-only with schemas; a write shows in the list and the diff', async () => {
	const dirs = scratch();
	const client = await connect(dirs, {
		args: [...withPolicy(dirs, { tools: { corral: ['checkpoint_list', 'checkpoint_diff'] } }), '--run', 'mcp-run'],
	});
	try {
		const { tools } = await client.listTools();
		const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
		for (const name of ['checkpoint_list', 'checkpoint_diff']) {
			const t = byName[name];
			assert.ok(t, `${name} is listed`);
			assert.equal(t.annotations.readOnlyHint, true);
			assert.equal(t.annotations.destructiveHint, false);
			assert.equal(t.inputSchema.type, 'object');
			assert.equal(t.outputSchema.type, 'object');
		}
		// Nothing yet in this run.
		let r = await client.callTool({ name: 'checkpoint_diff', arguments: {} });
		assert.equal(r.isError, false, text(r));
		assert.equal(r.structuredContent.from, null);
		assert.match(text(r), /No checkpoint in this run \(mcp-run\)/);

		r = await client.callTool({ name: 'write_file', arguments: { path: 'hello.txt', content: 'changed through corral\n' } });
		assert.equal(r.isError, false, text(r));
		const ckpt = r._meta['dev.corral/checkpoint'];
		assert.ok(ckpt, 'the write took a checkpoint');

		r = await client.callTool({ name: 'checkpoint_list', arguments: {} });
		assert.equal(r.isError, false, text(r));
		const run = r.structuredContent.runs.find((x) => x.run === 'mcp-run');
		assert.ok(run, JSON.stringify(r.structuredContent));
		assert.equal(r.structuredContent.current_run, 'mcp-run');
		const c = run.checkpoints.find((x) => x.id === ckpt);
		assert.ok(c, `checkpoint ${ckpt} is listed`);
		assert.equal(c.tool, 'write_file');
		assert.equal(c.kind, 'call');
		assert.equal(c.stat.files, 1);

		// Since the start of this run (the default), and since that checkpoint.
		for (const args of [{}, { since: ckpt }, { paths: ['hello.txt'] }]) {
			r = await client.callTool({ name: 'checkpoint_diff', arguments: args });
			assert.equal(r.isError, false, text(r));
			assert.equal(r.structuredContent.from, ckpt);
			assert.match(r.structuredContent.diff, /^-hello from the workspace$/m);
			assert.match(r.structuredContent.diff, /^\+changed through corral$/m);
			assert.match(text(r), /\+changed through corral/);
		}
		// A path that did not change: an empty diff.
		r = await client.callTool({ name: 'checkpoint_diff', arguments: { paths: ['other.txt'] } });
		assert.equal(r.structuredContent.diff, '');
		// An unknown checkpoint is an error result the model can act on.
		r = await client.callTool({ name: 'checkpoint_diff', arguments: { since: 'deadbeef' } });
		assert.equal(r.isError, true);
		assert.match(text(r), /deadbeef/);
		// Bad arguments are refused by the input schema, before anything runs.
		r = await client.callTool({ name: 'checkpoint_diff', arguments: { since: 'not hex' } });
		assert.equal(r.isError, true);
		assert.equal(r._meta['dev.corral/outcome'], 'bad-arguments');
	} finally {
		await client.close();
		dirs.cleanup();
	}
});

test('checkpoint_diff leaves out the files the policy hides', async () => {
	const dirs = scratch();
	writeFileSync(join(dirs.ws, '.env'), 'TOKEN=old-secret\n');
	const client = await connect(dirs, {
		args: withPolicy(dirs, { tools: { corral: ['checkpoint_diff'] }, filesystem: { hide: ['**/.env'] } }),
	});
	try {
		let r = await client.callTool({ name: 'write_file', arguments: { path: 'a.txt', content: 'a\n' } });
		assert.equal(r.isError, false, text(r));
		// Changed outside the sandbox, where the sandbox cannot see it.
		writeFileSync(join(dirs.ws, '.env'), 'TOKEN=new-secret\n');
		r = await client.callTool({ name: 'checkpoint_diff', arguments: {} });
		assert.equal(r.isError, false, text(r));
		assert.match(r.structuredContent.diff, /\+a$/m);
		assert.doesNotMatch(JSON.stringify(r), /secret/);
		assert.equal(r.structuredContent.withheld_files, 1);
	} finally {
		await client.close();
		dirs.cleanup();
	}
});

test('the rules decide corral tools too, and the audit log records them', async () => {
	const dirs = scratch();
	const client = await connect(dirs, {
		args: withPolicy(dirs, {
			tools: { corral: ['checkpoint_list', 'checkpoint_diff'] },
			rules: { deny: [{ match: 'checkpoint_diff', hint: 'no diffs here' }] },
		}),
	});
	try {
		let r = await client.callTool({ name: 'checkpoint_diff', arguments: {} });
		assert.equal(r.isError, true);
		assert.equal(r._meta['dev.corral/outcome'], 'denied');
		assert.match(text(r), /no diffs here/);
		r = await client.callTool({ name: 'checkpoint_list', arguments: {} });
		assert.equal(r.isError, false, text(r));
		const id = r._meta['dev.corral/call'];
		await client.close();
		const recs = auditRecords(dirs);
		assert.ok(recs.some((x) => x.call === id && x.tool === 'checkpoint_list' && x.event === 'end' && x.outcome === 'ran'),
			`no end record of ${id}: ${JSON.stringify(recs).slice(0, 500)}`);
		assert.ok(recs.some((x) => x.tool === 'checkpoint_diff' && x.outcome === 'denied'));
	} finally {
		await client.close();
		dirs.cleanup();
	}
});
