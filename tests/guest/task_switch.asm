; Hardware task switches (SDM vol. 3 chapter 7): CALL through a task gate (nesting: NT, back
; link, both tasks busy), IRET with NT back to the caller, INT n through a task gate in the IDT,
; JMP to a TSS (no nesting: the old task becomes available), and the busy-TSS rules.
%include "lib.inc"
%include "pm_common.inc"

%define B_TR (SCRATCH + 0)         ; what task B saw
%define B_EFL (SCRATCH + 4)
%define B_LINK (SCRATCH + 8)
%define B_BUSYA (SCRATCH + 12)
%define B_BUSYB (SCRATCH + 16)
%define B_RUNS (SCRATCH + 20)
%define B_EAX (SCRATCH + 24)
%define B_CR0 (SCRATCH + 28)

%define TYPE_BYTE(sel) (GDT_RAM + (sel) + 5)

bits 32
test_main:
    ; task B: ring 0, flat, its own stack, starts at task_b
    mov edi, TSS_B
    xor eax, eax
    mov ecx, 0x68 / 4
    rep stosd
    mov dword [TSS_B + 32], task_b     ; EIP
    mov dword [TSS_B + 36], 0x002      ; EFLAGS
    mov dword [TSS_B + 40], 0xBBBB     ; EAX
    mov dword [TSS_B + 56], STACKB     ; ESP
    mov word [TSS_B + 72], SEL_DATA0   ; ES
    mov word [TSS_B + 76], SEL_CODE0   ; CS
    mov word [TSS_B + 80], SEL_DATA0   ; SS
    mov word [TSS_B + 84], SEL_DATA0   ; DS
    mov word [TSS_B + 88], SEL_DATA0   ; FS
    mov word [TSS_B + 92], SEL_DATA0   ; GS
    mov word [TSS_B + 102], 0x68
    mov dword [B_RUNS], 0

    ; 1. CALL through the task gate
    mov eax, 0xAAAA
    call SEL_TGATE:0
    mov esi, eax
    cmp dword [B_RUNS], 1
    CHECK e, "call through a task gate ran task B"
    cmp dword [B_TR], SEL_TSSB
    CHECK e, "task B: TR holds its TSS selector"
    cmp dword [B_EAX], 0xBBBB
    CHECK e, "task B: registers loaded from its TSS"
    test dword [B_EFL], 0x4000
    CHECK nz, "task B: NT set by a nesting switch"
    cmp dword [B_LINK], SEL_TSSA
    CHECK e, "task B: back link is task A"
    cmp dword [B_BUSYA], 0xB
    CHECK e, "task B: the caller stays busy"
    cmp dword [B_BUSYB], 0xB
    CHECK e, "task B: its own TSS is busy"
    test dword [B_CR0], 8
    CHECK nz, "task switch set CR0.TS"
    cmp esi, 0xAAAA
    CHECK e, "iret with NT back to task A: its registers are restored"
    mov al, [TYPE_BYTE(SEL_TSSB)]
    and al, 0x0F
    cmp al, 0x9
    CHECK e, "iret with NT frees task B"
    pushfd
    pop eax
    test eax, 0x4000
    CHECK z, "task A runs with NT clear"
    clts

    ; 2. a busy TSS cannot be entered: JMP to task A (running) -> #GP(selector)
    TRY .busy_done
    jmp SEL_TSSA:0
    CAUGHT
.busy_done:
    EXPECT_EXC 13, SEL_TSSA, "jmp to a busy TSS -> #GP(TSS selector)"

    ; 3. INT n through a task gate in the IDT: task B resumes after its IRET
    mov word [IDT_RAM + 8 * 0x60], 0
    mov word [IDT_RAM + 8 * 0x60 + 2], SEL_TSSB
    mov word [IDT_RAM + 8 * 0x60 + 4], 0x8500   ; task gate, DPL 0
    mov word [IDT_RAM + 8 * 0x60 + 6], 0
    int 0x60
    cmp dword [B_RUNS], 2
    CHECK e, "int through a task gate in the IDT ran task B again"
    test dword [B_EFL], 0x4000
    CHECK nz, "task B via interrupt: NT set"

    ; 4. JMP to task B's TSS: no nesting; task B jumps back to task A
    mov dword [TSS_B + 32], task_b_jmp
    jmp SEL_TSSB:0
    cmp dword [B_RUNS], 3
    CHECK e, "jmp to a TSS ran task B"
    test dword [B_EFL], 0x4000
    CHECK z, "task B via jmp: NT clear"
    cmp dword [B_BUSYA], 0x9
    CHECK e, "jmp: the old task became available"
    mov al, [TYPE_BYTE(SEL_TSSA)]
    and al, 0x0F
    cmp al, 0xB
    CHECK e, "jmp back: task A busy again"
    mov al, [TYPE_BYTE(SEL_TSSB)]
    and al, 0x0F
    cmp al, 0x9
    CHECK e, "jmp back: task B available again"
    str ax
    cmp ax, SEL_TSSA
    CHECK e, "TR is task A again"
    clts
    FINISH

; task B: records what it sees, returns with IRET (NT), and runs again from here next time
task_b:
    inc dword [B_RUNS]
    mov [B_EAX], eax
    str ax
    movzx eax, ax
    mov [B_TR], eax
    pushfd
    pop eax
    mov [B_EFL], eax
    movzx eax, word [TSS_B]
    mov [B_LINK], eax
    movzx eax, byte [TYPE_BYTE(SEL_TSSA)]
    and eax, 0x0F
    mov [B_BUSYA], eax
    movzx eax, byte [TYPE_BYTE(SEL_TSSB)]
    and eax, 0x0F
    mov [B_BUSYB], eax
    mov eax, cr0
    mov [B_CR0], eax
    mov eax, 0xDEAD
    iretd
    jmp task_b

; task B entered by JMP: records, then JMPs back to task A
task_b_jmp:
    inc dword [B_RUNS]
    pushfd
    pop eax
    mov [B_EFL], eax
    movzx eax, byte [TYPE_BYTE(SEL_TSSA)]
    and eax, 0x0F
    mov [B_BUSYA], eax
    jmp SEL_TSSA:0

    PM_COMMON_END
