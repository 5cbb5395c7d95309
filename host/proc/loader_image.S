/* The process backend's zygote and loader (host/proc/loader.c), built into
 * libmica like the guest image. */
	.section .rodata
	.balign 16
	.globl mica_loader_image
	.globl mica_loader_image_end
mica_loader_image:
	.incbin MICA_LOADER_ELF
mica_loader_image_end:

	.section .note.GNU-stack, "", @progbits
