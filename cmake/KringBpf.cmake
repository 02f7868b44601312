# kring_bpf_objects(TARGET name SOURCES a.bpf.c ... [DEPENDS header ...]):
# compiles each BPF C source with clang -target bpf against libbpf's
# bpf_helpers.h, exactly as for Linux, into <binary dir>/<name>.bpf.o, and
# adds a target `name` that builds them all.
find_program(CLANG clang)
if(NOT CLANG)
  message(FATAL_ERROR "clang is needed to compile BPF programs: run scripts/install-deps.sh")
endif()

function(kring_bpf_objects)
  cmake_parse_arguments(ARG "" "TARGET" "SOURCES;DEPENDS" ${ARGN})
  set(objects)
  foreach(src ${ARG_SOURCES})
    get_filename_component(base ${src} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${base}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CLANG} -target bpf -D__TARGET_ARCH_x86 -O2 -g -Wall
              -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
              -I${CMAKE_SOURCE_DIR}/uapi -I${CMAKE_CURRENT_SOURCE_DIR}
              -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${src} ${ARG_DEPENDS}
      COMMENT "clang -target bpf ${src}")
    list(APPEND objects ${obj})
  endforeach()
  add_custom_target(${ARG_TARGET} ALL DEPENDS ${objects})
endfunction()
