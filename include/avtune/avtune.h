#pragma once
// avtune's umbrella header: every public header of the components this build has
// (avtune/build_config.h; docs/architecture.md lists the areas and targets). Including it costs the
// LibTorch headers; a file that needs one concept includes that concept's header instead.
#include "avtune/build_config.h"

// avtune_core: weights I/O, models, methods, the training engine (LibTorch only).
#include "avtune/util/atomic_file.h"
#include "avtune/util/base64.h"
#include "avtune/util/error.h"
#include "avtune/util/memo_cache.h"
#include "avtune/util/progress.h"
#include "avtune/util/runtime.h"
#include "avtune/util/tensor_text.h"
#include "avtune/io/checkpoint.h"
#include "avtune/io/npy.h"
#include "avtune/io/pickle.h"
#include "avtune/io/pth.h"
#include "avtune/io/safetensors.h"
#include "avtune/io/state_dict.h"
#include "avtune/io/weights_file.h"
#include "avtune/audio/fbank.h"
#include "avtune/audio/paper_input.h"
#include "avtune/vision/frame_sampling.h"
#include "avtune/vision/image_transforms.h"
#include "avtune/models/classifiers.h"
#include "avtune/models/encoder_init.h"
#include "avtune/models/fusion.h"
#include "avtune/models/memory_format.h"
#include "avtune/models/model_factory.h"
#include "avtune/models/resnet.h"
#include "avtune/data/clip_list.h"
#include "avtune/data/dataset.h"
#include "avtune/data/loader.h"
#include "avtune/data/sample.h"
#include "avtune/train/lr_schedule.h"
#include "avtune/train/metrics.h"
#include "avtune/train/optimizer.h"
#include "avtune/train/train_config.h"
#include "avtune/train/trainer.h"
#include "avtune/methods/abri.h"
#include "avtune/methods/bn_reset.h"
#include "avtune/methods/dead_channels.h"
#include "avtune/methods/fusion_masks.h"
#include "avtune/methods/linear_probe.h"
#include "avtune/methods/patch_mask.h"
#include "avtune/run/run_spec.h"

#if AVTUNE_HAS_MEDIA
// avtune_media: files, data sets, training runs.
#include "avtune/audio/fast_fbank.h"
#include "avtune/io/video_reader.h"
#include "avtune/audio/audio_file.h"
#include "avtune/audio/audio_transforms.h"
#include "avtune/audio/fbank_cache.h"
#include "avtune/vision/image_cache.h"
#include "avtune/vision/image_io.h"
#include "avtune/data/av_clip_dataset.h"
#include "avtune/data/dataset_spec.h"
#include "avtune/data/fbank_stats.h"
#include "avtune/data/image_folder_dataset.h"
#include "avtune/data/video_preprocess.h"
#include "avtune/methods/dead_channels_on_data.h"
#include "avtune/run/run_pool.h"
#include "avtune/run/throughput.h"
#include "avtune/run/training_run.h"
#endif

#if AVTUNE_HAS_EMBEDDED
// avtune_embedded: the embedded default data.
#include "avtune/audio/speech_synth.h"
#include "avtune/data/embedded_data.h"
#include "avtune/data/fashion_mnist.h"
#endif

#if AVTUNE_HAS_STUDY
// avtune_study: figures, the study and its report.
#include "avtune/plot/chart.h"
#include "avtune/plot/run_figures.h"
#include "avtune/report/study_figures.h"
#include "avtune/report/study_report.h"
#include "avtune/report/verdicts.h"
#include "avtune/study/clip_card.h"
#include "avtune/study/context.h"
#include "avtune/study/cross_modal.h"
#include "avtune/study/diagnosis.h"
#include "avtune/study/fusion_tuning.h"
#include "avtune/study/joint.h"
#include "avtune/study/plan.h"
#include "avtune/study/pretraining.h"
#include "avtune/study/scheduler.h"
#include "avtune/study/study.h"
#endif
