int work(void) { return 0; }
