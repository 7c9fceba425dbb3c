/* pid_t sb_clone3(struct clone_args *args, size_t size, int (*fn)(void *), void *arg)
 *
 * clone3() that runs fn(arg) in the child, on the stack args gives it, and
 * ends the child with fn's result: what glibc's clone() does for clone(),
 * for the one call glibc does not wrap.  The job's first process needs
 * clone3 for CLONE_INTO_CGROUP: it starts life in its slot's cgroup, so no
 * migration (and no wait on the kernel's global threadgroup lock) is paid
 * per job.  Returns the child's pid, or -errno. */
#if defined(__x86_64__)
        .text
        .globl  sb_clone3
        .type   sb_clone3, @function
sb_clone3:
        .cfi_startproc
        movq    %rdx, %r8               /* fn and arg in r8, r9: the syscall keeps them */
        movq    %rcx, %r9
        movl    $435, %eax              /* __NR_clone3 */
        syscall
        testq   %rax, %rax
        jz      1f
        ret                             /* the parent: pid or -errno */
1:
        /* the child, on its new stack (16-byte aligned at its top) */
        .cfi_undefined rip
        xorl    %ebp, %ebp
        movq    %r9, %rdi
        call    *%r8
        movl    %eax, %edi
        movl    $60, %eax               /* __NR_exit */
        syscall
        hlt
        .cfi_endproc
        .size   sb_clone3, .-sb_clone3
#endif
        .section .note.GNU-stack,"",@progbits
