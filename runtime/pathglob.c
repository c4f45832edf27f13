#include "pathglob.h"

#include <fnmatch.h>
#include <limits.h>
#include <string.h>

#define GLOB_DEPTH_MAX 64

/* Match components p[0..np) against s[0..ns) by dynamic programming, so that
 * a pattern full of "**" costs O(np * ns), never exponential time. */
static bool match_components(char **p, int np, char **s, int ns)
{
	bool dp[GLOB_DEPTH_MAX + 1][GLOB_DEPTH_MAX + 1];

	for (int j = 0; j <= ns; j++)
		dp[np][j] = j == ns;
	for (int i = np - 1; i >= 0; i--) {
		bool any = strcmp(p[i], "**") == 0;
		for (int j = ns; j >= 0; j--) {
			if (any)
				dp[i][j] = dp[i + 1][j] || (j < ns && dp[i][j + 1]);
			else
				dp[i][j] = j < ns && dp[i + 1][j + 1] &&
				           fnmatch(p[i], s[j], FNM_PERIOD) == 0;
		}
	}
	return dp[0][0];
}

static int split(char *buf, char **parts)
{
	int n = 0;

	for (char *tok = strtok(buf, "/"); tok; tok = strtok(NULL, "/")) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (n == GLOB_DEPTH_MAX)
			return -1;
		parts[n++] = tok;
	}
	return n;
}

bool pathglob_match(const char *pattern, const char *path, bool is_dir)
{
	char pbuf[PATH_MAX], sbuf[PATH_MAX];
	char *pp[GLOB_DEPTH_MAX], *sp[GLOB_DEPTH_MAX];
	size_t plen = strlen(pattern);
	int np, ns;

	if (plen == 0 || plen >= sizeof(pbuf) || strlen(path) >= sizeof(sbuf))
		return false;
	if (pattern[plen - 1] == '/') {
		if (!is_dir)
			return false;
		plen--;
	}
	memcpy(pbuf, pattern, plen);
	pbuf[plen] = '\0';
	strcpy(sbuf, path);
	np = split(pbuf, pp);
	ns = split(sbuf, sp);
	if (np <= 0 || ns < 0)
		return false;
	/* A pattern with no '/' matches a name at any depth. */
	if (!memchr(pattern, '/', plen))
		return ns > 0 && fnmatch(pp[0], sp[ns - 1], FNM_PERIOD) == 0;
	return match_components(pp, np, sp, ns);
}

bool pathglob_has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}
