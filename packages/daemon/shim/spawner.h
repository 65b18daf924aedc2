/* `tscni-shim --spawner` (spawner.c): runs commands for the tscni daemon. */
#ifndef TSCNI_SPAWNER_H
#define TSCNI_SPAWNER_H
int spawner_main(void);
#endif
