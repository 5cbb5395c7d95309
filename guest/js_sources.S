/* The runtime's JavaScript parts as QuickJS bytecode (compiled at build time). */
	.section .rodata
	.balign 8
	.globl mica_js_console
	.globl mica_js_console_size
mica_js_console:
	.incbin MICA_CONSOLE_JSBC
mica_js_console_end:
	.balign 4
mica_js_console_size:
	.long mica_js_console_end - mica_js_console

	.section .note.GNU-stack, "", @progbits
