# Version string recorded in every output: project version plus the git revision when known.
set(EDGESIM_GIT_REVISION "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE EDGESIM_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_QUIET RESULT_VARIABLE _git_rc)
    if(NOT _git_rc EQUAL 0 OR EDGESIM_GIT_REVISION STREQUAL "")
        set(EDGESIM_GIT_REVISION "unknown")
    endif()
endif()
set(EDGESIM_VERSION_STRING "${PROJECT_VERSION}+${EDGESIM_GIT_REVISION}")
