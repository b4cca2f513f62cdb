/* pc_compiler.h - portable spellings of compiler attributes. */
#ifndef PC_COMPILER_H
#define PC_COMPILER_H

/* Lets the compiler check printf-style calls (fmt is argument f, the values start at a). */
#if defined(__MINGW32__)
#define PC_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define PC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PC_PRINTF(f, a)
#endif

#endif
