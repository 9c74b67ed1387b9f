# Which library target each source belongs to (docs/architecture.md, "Targets").
set(AVTUNE_SRC ${PROJECT_SOURCE_DIR}/src)

function(avtune_sources out)
  set(files)
  foreach(f ${ARGN})
    if(f MATCHES "/\\*$")  # "area/*": every .cpp of the area
      string(REGEX REPLACE "/\\*$" "" area "${f}")
      file(GLOB g CONFIGURE_DEPENDS ${AVTUNE_SRC}/${area}/*.cpp)
      list(APPEND files ${g})
    else()
      list(APPEND files ${AVTUNE_SRC}/${f}.cpp)
    endif()
  endforeach()
  set(${out} ${files} PARENT_SCOPE)
endfunction()

avtune_sources(CORE_SOURCES
  util/* dist/* models/* train/*
  io/checkpoint io/npy io/pickle io/unpickler io/pickle_objects io/pickler io/pth io/safetensors io/state_dict io/reference_layout io/weights_file
  audio/fbank vision/image_transforms vision/fused_transforms vision/frame_sampling
  data/sample data/dataset data/loader data/clip_list data/shipped_lists data/csv_rows
  methods/abri methods/bn_reset methods/dead_channels methods/fusion_masks methods/linear_probe methods/patch_mask
  methods/balance methods/balance_ogm methods/balance_opm methods/balance_umt
  run/run_spec run/dataset_presets run/dist_bench)
avtune_sources(MEDIA_SOURCES
  audio/audio_file audio/audio_transforms audio/fast_fbank audio/fbank_kernels audio/fbank_cache vision/image_io vision/jpeg_region vision/image_cache io/video_reader
  data/av_clip_dataset data/image_folder_dataset data/dataset_spec data/fbank_stats data/video_preprocess data/data_check
  methods/dead_channels_on_data run/training_run run/run_pool run/throughput run/fbank_bench run/pipeline_bench run/predict)
avtune_sources(EMBEDDED_SOURCES audio/speech_synth data/fashion_mnist data/embedded_data)
avtune_sources(STUDY_SOURCES plot/* report/* study/*)

# Every source must belong to exactly one target: a new file that fits none fails the configure step.
file(GLOB_RECURSE ALL_SOURCES CONFIGURE_DEPENDS ${AVTUNE_SRC}/*.cpp)
set(assigned ${CORE_SOURCES} ${MEDIA_SOURCES} ${EMBEDDED_SOURCES} ${STUDY_SOURCES})
foreach(f ${ALL_SOURCES})
  list(FIND assigned ${f} at)
  if(at EQUAL -1)
    message(FATAL_ERROR "avtune: ${f} belongs to no library target: add it to a list in src/CMakeLists.txt")
  endif()
endforeach()
foreach(f ${assigned})
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "avtune: src/CMakeLists.txt lists ${f}, which does not exist")
  endif()
endforeach()

# Sources that include no LibTorch header, directly or through avtune headers, skip the precompiled
# torch header: loading it costs ~9 s a file, compiling them without it < 1 s. Found by reading the
# includes, so the list cannot go stale.
function(avtune_uses_torch file out)
  get_property(known GLOBAL PROPERTY "avtune_torch_${file}" SET)
  if(known)
    get_property(v GLOBAL PROPERTY "avtune_torch_${file}")
    set(${out} ${v} PARENT_SCOPE)
    return()
  endif()
  set_property(GLOBAL PROPERTY "avtune_torch_${file}" OFF)  # breaks include cycles
  file(STRINGS ${file} lines REGEX "^#include [<\"](torch/|c10/|ATen/|avtune/)")
  set(result OFF)
  foreach(l ${lines})
    if(l MATCHES "^#include [<\"](torch|c10|ATen)/")
      set(result ON)
      break()
    endif()
    string(REGEX REPLACE "^#include [<\"](avtune/[^>\"]+)[>\"].*" "\\1" h "${l}")
    if(EXISTS ${PROJECT_SOURCE_DIR}/include/${h})
      avtune_uses_torch(${PROJECT_SOURCE_DIR}/include/${h} sub)
      if(sub)
        set(result ON)
        break()
      endif()
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY "avtune_torch_${file}" ${result})
  set(${out} ${result} PARENT_SCOPE)
endfunction()


# The lowest target that provides everything a file includes (for tests and CLI files, which join a
# build only when their target is built). An avtune header belongs to the target of its .cpp;
# header-only headers belong to the core. Test helpers ("local.h") are followed too.
function(avtune_target_of file out)
  file(STRINGS ${file} lines REGEX "^#include \"")
  get_filename_component(dir ${file} DIRECTORY)
  set(rank 0)
  set(names avtune_core avtune_media avtune_embedded avtune_study)
  foreach(l ${lines})
    string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" h "${l}")
    set(r 0)
    if(h MATCHES "^avtune/(.+)\\.h$")
      set(src ${AVTUNE_SRC}/${CMAKE_MATCH_1}.cpp)
      if(src IN_LIST MEDIA_SOURCES)
        set(r 1)
      elseif(src IN_LIST EMBEDDED_SOURCES)
        set(r 2)
      elseif(src IN_LIST STUDY_SOURCES)
        set(r 3)
      endif()
    elseif(EXISTS ${dir}/${h} AND NOT h MATCHES "test_support.h$")
      avtune_target_of(${dir}/${h} sub)
      list(FIND names ${sub} r)
    endif()
    if(r GREATER rank)
      set(rank ${r})
    endif()
  endforeach()
  list(GET names ${rank} t)
  set(${out} ${t} PARENT_SCOPE)
endfunction()

# The files among ARGN whose target (avtune_target_of) this build has (AVTUNE_LIBRARIES).
function(avtune_sources_built out)
  set(kept)
  foreach(f ${ARGN})
    avtune_target_of(${f} t)
    if(t IN_LIST AVTUNE_LIBRARIES)
      list(APPEND kept ${f})
    endif()
  endforeach()
  set(${out} ${kept} PARENT_SCOPE)
endfunction()
