# edgesim_proto_library(<target> PROTOS <files relative to IMPORT_DIR> [IMPORT_DIR dir] [DEPENDS libs])
# Compiles .proto files with the system protoc into ${CMAKE_BINARY_DIR}/gen so that generated
# headers are included rooted like their sources ("workloads/spec/network.pb.h").
set(EDGESIM_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${EDGESIM_GEN_DIR})

function(edgesim_proto_library target)
    cmake_parse_arguments(ARG "" "IMPORT_DIR" "PROTOS;DEPENDS" ${ARGN})
    if(NOT ARG_IMPORT_DIR)
        set(ARG_IMPORT_DIR ${CMAKE_SOURCE_DIR})
    endif()
    set(srcs)
    foreach(proto ${ARG_PROTOS})
        get_filename_component(dir ${proto} DIRECTORY)
        get_filename_component(stem ${proto} NAME_WE)
        set(cc ${EDGESIM_GEN_DIR}/${dir}/${stem}.pb.cc)
        set(h ${EDGESIM_GEN_DIR}/${dir}/${stem}.pb.h)
        add_custom_command(
            OUTPUT ${cc} ${h}
            COMMAND protobuf::protoc --cpp_out=${EDGESIM_GEN_DIR}
                    -I${ARG_IMPORT_DIR} -I${CMAKE_SOURCE_DIR} ${ARG_IMPORT_DIR}/${proto}
            DEPENDS ${ARG_IMPORT_DIR}/${proto} protobuf::protoc
            COMMENT "protoc ${proto}"
            VERBATIM)
        list(APPEND srcs ${cc})
    endforeach()
    add_library(${target} STATIC ${srcs})
    target_include_directories(${target} SYSTEM PUBLIC ${EDGESIM_GEN_DIR})
    target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${ARG_DEPENDS})
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# edgesim_module(<target> SOURCES ... DEPENDS ...): one library per top-level module,
# includes rooted at the repository, warnings on.
function(edgesim_module target)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
    add_library(${target} STATIC ${ARG_SOURCES})
    add_library(edgesim::${target} ALIAS ${target})
    target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR})
    target_compile_options(${target} PRIVATE ${EDGESIM_WARNINGS})
    target_link_libraries(${target} PUBLIC ${ARG_DEPENDS})
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
