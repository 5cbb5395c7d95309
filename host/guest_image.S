/* The guest ELF, built into libmica so that users ship one file. */
	.section .rodata
	.balign 16
	.globl mica_guest_image
	.globl mica_guest_image_end
mica_guest_image:
	.incbin MICA_GUEST_ELF
mica_guest_image_end:

	.section .note.GNU-stack, "", @progbits
