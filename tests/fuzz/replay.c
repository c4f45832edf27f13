/*
 * replay.c - run a libFuzzer target over saved inputs without libFuzzer:
 * every file named on the command line, and every regular file in every
 * directory named. Built with the normal compiler, so CTest replays the
 * corpus on every build (under ASan/UBSan in the sanitizer build).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs above this are not fuzz inputs; refuse rather than guess. */
#define REPLAY_INPUT_MAX (8u << 20)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	buf = malloc(REPLAY_INPUT_MAX);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	n = fread(buf, 1, REPLAY_INPUT_MAX, f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "%s: read failed or larger than %u bytes\n", path,
		        REPLAY_INPUT_MAX);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so ASan catches a read past the input. */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy) {
		free(buf);
		return -1;
	}
	memcpy(copy, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

static int replay_dir(const char *dir, int *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), rc = 0;

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				rc = -1;
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int count = 0, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) < 0)
				rc = 1;
		} else {
			if (replay_file(argv[i]) < 0)
				rc = 1;
			count++;
		}
	}
	printf("replayed %d inputs\n", count);
	if (count == 0)
		rc = 1;
	return rc;
}
