/*
 * fuzz_shell.c - libFuzzer target for the shell splitter behind exec rules.
 *
 * Every input is split (any bytes, NUL-terminated at the first NUL), and
 * the result must keep the splitter's promises: within the caps, every
 * simple command has a name and a rendering, an unparsable string says why
 * and holds no commands. Each simple command's words are then split again
 * as an argument vector, which must give back one command (or a reason).
 */
#include "shell.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const struct shell_list *l)
{
	size_t words = 0;

	if (l->unparsable) {
		if (!l->why || l->count != 0 || l->items)
			abort();
		return;
	}
	if (l->count > SHELL_COMMANDS_MAX)
		abort();
	for (size_t i = 0; i < l->count; i++) {
		const struct shell_command *c = &l->items[i];
		if (c->nwords == 0 || !c->words || !c->dynamic || !c->text || !c->words[0])
			abort();
		if (c->dynamic[0]) /* a computed command name is unparsable */
			abort();
		words += c->nwords;
	}
	if (words > SHELL_WORDS_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corral_error err;
	struct shell_list l;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (shell_split(text, &l, &err) < 0)
		abort(); /* only out of memory, which a fuzzer does not cause */
	check_list(&l);
	for (size_t i = 0; i < l.count; i++) {
		struct shell_list again;
		const struct shell_command *c = &l.items[i];
		if (shell_split_argv((const char *const *)c->words, c->nwords, &again, &err) < 0)
			abort();
		check_list(&again);
		shell_list_release(&again);
	}
	shell_list_release(&l);
	free(text);
	return 0;
}
