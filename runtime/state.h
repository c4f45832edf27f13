/*
 * state.h - where corral keeps its own state.
 */
#ifndef CORRAL_STATE_H
#define CORRAL_STATE_H

/*
 * corral's state directory: $XDG_STATE_HOME/corral, or
 * $HOME/.local/state/corral. A new string the caller frees; NULL when
 * neither variable is set to an absolute path.
 */
char *state_dir_path(void);

#endif
