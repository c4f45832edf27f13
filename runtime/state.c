#define _GNU_SOURCE
#include "state.h"

#include <stdio.h>
#include <stdlib.h>

char *state_dir_path(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;

	if (xdg && xdg[0] == '/') {
		if (asprintf(&path, "%s/corral", xdg) < 0)
			return NULL;
	} else if (home && home[0] == '/') {
		if (asprintf(&path, "%s/.local/state/corral", home) < 0)
			return NULL;
	}
	return path;
}
