# kring_bpf_objects(TARGET name SOURCES a.bpf.c ... [DEPENDS header ...]
#                   [VMLINUX]):
# compiles each BPF C source with clang -target bpf against libbpf's
# bpf_helpers.h, exactly as for Linux, into <binary dir>/<name>.bpf.o, and
# adds a target `name` that builds them all. VMLINUX: the sources include
# "vmlinux.h" (CO-RE), made from KRING_VMLINUX_IMAGE.
find_program(CLANG clang)
if(NOT CLANG)
  message(FATAL_ERROR "clang is needed to compile BPF programs: run scripts/install-deps.sh")
endif()

# vmlinux.h: the BTF of Debian's 6.1 kernel as C, made by
# scripts/kernel-btf.sh from the image (the same bytes on every build).
set(KRING_VMLINUX_IMAGE /boot/vmlinuz-6.1.0-57-amd64 CACHE FILEPATH
    "The kernel image whose BTF gives BPF programs vmlinux.h")
set(KRING_VMLINUX_DIR ${CMAKE_BINARY_DIR}/vmlinux)
add_custom_command(
  OUTPUT ${KRING_VMLINUX_DIR}/vmlinux.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${KRING_VMLINUX_DIR}
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/kernel-btf.sh header ${KRING_VMLINUX_IMAGE}
          ${KRING_VMLINUX_DIR}/vmlinux.h
  DEPENDS ${CMAKE_SOURCE_DIR}/scripts/kernel-btf.sh
  COMMENT "vmlinux.h from ${KRING_VMLINUX_IMAGE}")
add_custom_target(vmlinux-h DEPENDS ${KRING_VMLINUX_DIR}/vmlinux.h)

function(kring_bpf_objects)
  cmake_parse_arguments(ARG "VMLINUX" "TARGET" "SOURCES;DEPENDS" ${ARGN})
  set(includes)
  if(ARG_VMLINUX)
    set(includes -I${KRING_VMLINUX_DIR})
    list(APPEND ARG_DEPENDS ${KRING_VMLINUX_DIR}/vmlinux.h)
  endif()
  set(objects)
  foreach(src ${ARG_SOURCES})
    get_filename_component(base ${src} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${base}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CLANG} -target bpf -D__TARGET_ARCH_x86 -O2 -g -Wall
              -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
              -I${CMAKE_SOURCE_DIR}/uapi -I${CMAKE_CURRENT_SOURCE_DIR} ${includes}
              -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${src} ${ARG_DEPENDS}
      COMMENT "clang -target bpf ${src}")
    list(APPEND objects ${obj})
  endforeach()
  add_custom_target(${ARG_TARGET} ALL DEPENDS ${objects})
  if(ARG_VMLINUX)
    add_dependencies(${ARG_TARGET} vmlinux-h)
  endif()
endfunction()
