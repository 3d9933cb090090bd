/*
 * bcryptprimitives.dll for Wine versions that lack it.
 *
 * Rust's standard library on Windows takes its random numbers (for HashMap keys, among others)
 * from ProcessPrng in bcryptprimitives.dll, which Wine 8 does not provide; without it every Rust
 * executable fails to start (STATUS_DLL_NOT_FOUND, c0000135). This DLL provides ProcessPrng on
 * top of RtlGenRandom (advapi32's SystemFunction036), which Wine has. Only for running tests under
 * Wine; real Windows (10 and later) has its own.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a ULONG length: fill larger buffers in chunks. */
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
