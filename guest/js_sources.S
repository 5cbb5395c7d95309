/* The runtime's JavaScript parts as QuickJS bytecode (compiled at build time). */
#define BLOB(name, file)                     \
	.section .rodata;                    \
	.balign 8;                           \
	.globl name;                         \
	.globl name##_size;                  \
name:                                        \
	.incbin file;                        \
name##_end:                                  \
	.balign 4;                           \
name##_size:                                 \
	.long name##_end - name

BLOB(mica_js_lang, MICA_LANG_JSBC)
BLOB(mica_js_console, MICA_CONSOLE_JSBC)
BLOB(mica_js_web, MICA_WEB_JSBC)
BLOB(mica_js_crypto, MICA_CRYPTO_JSBC)
BLOB(mica_js_fetch, MICA_FETCH_JSBC)

	.section .note.GNU-stack, "", @progbits
