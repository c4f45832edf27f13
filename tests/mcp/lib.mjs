// Shared set-up for the tests of `corral serve` with real MCP clients.
// The clients are installed into tests/mcp/node_modules by .ci/deps.sh
// (npm ci from package-lock.json). A test whose client is missing fails.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const here = dirname(fileURLToPath(import.meta.url));
export const corral = process.env.CORRAL;
if (!corral)
	throw new Error('set CORRAL to the corral binary (ctest does)');

const require = createRequire(import.meta.url);
export function need(pkg) {
	try {
		return require.resolve(pkg, { paths: [here] });
	} catch {
		throw new Error(`${pkg} is not installed in tests/mcp/node_modules: ` +
			'run ./.ci/deps.sh (it runs npm ci there)');
	}
}

export async function sdk() {
	need('@modelcontextprotocol/sdk/client/index.js');
	const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
	const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
	const types = await import('@modelcontextprotocol/sdk/types.js');
	return { Client, StdioClientTransport, types };
}

// A temporary workspace and state directory (audit log, checkpoints).
export function scratch() {
	const root = mkdtempSync(join(tmpdir(), 'corral-mcp-'));
	const ws = join(root, 'ws'), state = join(root, 'state');
	mkdirSync(ws);
	mkdirSync(state);
	writeFileSync(join(ws, 'hello.txt'), 'hello from the workspace\nsecond line\n');
	return { root, ws, state, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function serverEnv(dirs, extra = {}) {
	return {
		PATH: process.env.PATH ?? '/usr/bin:/bin',
		HOME: process.env.HOME ?? '/root',
		XDG_STATE_HOME: dirs.state,
		...extra,
	};
}

export const hostilePlugins = join(dirname(corral), '..', 'tests', 'hostile', 'plugins');
export const hostilePolicy = join(here, '..', 'cases', 'data', 'exec', 'hostile.json');

// An SDK client connected to `corral serve` in @dirs.ws.
export async function connect(dirs, { args = [], env = {}, capabilities = {} } = {}) {
	const { Client, StdioClientTransport } = await sdk();
	const transport = new StdioClientTransport({
		command: corral,
		args: ['serve', '--workspace', dirs.ws, ...args],
		env: serverEnv(dirs, env),
		stderr: 'pipe',
	});
	const client = new Client({ name: 'corral-test', version: '1.0.0' }, { capabilities });
	await client.connect(transport);
	return client;
}

export function text(result) {
	return result.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
}
