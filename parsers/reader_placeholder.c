/* replaced by the decoders */
int pc__parsers_placeholder(void);
int pc__parsers_placeholder(void) { return 0; }
