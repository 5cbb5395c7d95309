/* The runtime's JavaScript parts, embedded NUL-terminated in the guest image. */
	.section .rodata
	.globl mica_js_console
mica_js_console:
	.incbin "guest/js/console.js"
	.byte 0

	.section .note.GNU-stack, "", @progbits
