# capheap.mk - capheap for Makefile-based firmware: the sources, include
# flags and definitions of one configuration. Set what differs from the
# defaults, include this file, then compile $(CAPHEAP_SOURCES) with
# $(CAPHEAP_INCLUDES) $(CAPHEAP_DEFINES) (and pass both to every file that
# includes capheap's headers: they must see the same configuration).
#
#   CAPHEAP_DIR          capheap's directory (default: this file's)
#   CAPHEAP_PORT         none (default), spinlock, irq, freertos, pthread, user
#   CAPHEAP_CHIPS        chip tables of src/chips to build, e.g. esp32 esp32s3
#                        (default none: an application's own chip is a
#                        source file of its own)
#   CAPHEAP_SYSTEM_CHIP  the system heap's chip: a capheap_chip_t's name
#   CAPHEAP_ESP_IDF_API  1 (default): ESP-IDF's heap API (src/compat)
#   CAPHEAP_LIBC         1 (default): the C allocation functions (src/libc)
#   CAPHEAP_REPLACE_LIBC_MALLOC  1: they define malloc, free, ... (default 0)
#   CAPHEAP_SIM          1: the host simulation (Linux hosts only; default 0)
#   CAPHEAP_CONFIG_HEADER  a header of configuration macros
#   CAPHEAP_DIAGNOSTICS  definitions such as CAPHEAP_POISONING=1
#
# It defines CAPHEAP_SOURCES (paths), CAPHEAP_INCLUDES (-I flags) and
# CAPHEAP_DEFINES (-D flags), and nothing else but CAPHEAP_* variables.
# The lists follow the directories as CMakeLists.txt does, so both builds
# compile the same files.

CAPHEAP_DIR ?= $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
CAPHEAP_PORT ?= none
CAPHEAP_CHIPS ?=
CAPHEAP_SYSTEM_CHIP ?=
CAPHEAP_ESP_IDF_API ?= 1
CAPHEAP_LIBC ?= 1
CAPHEAP_REPLACE_LIBC_MALLOC ?= 0
CAPHEAP_SIM ?= 0
CAPHEAP_CONFIG_HEADER ?=
CAPHEAP_DIAGNOSTICS ?=

CAPHEAP_KNOWN_CHIPS := $(filter-out chips,$(basename $(notdir \
  $(wildcard $(CAPHEAP_DIR)/src/chips/*.c))))
ifneq ($(filter-out $(CAPHEAP_KNOWN_CHIPS),$(CAPHEAP_CHIPS)),)
$(error capheap.mk: CAPHEAP_CHIPS names no chip table in src/chips: $(filter-out $(CAPHEAP_KNOWN_CHIPS),$(CAPHEAP_CHIPS)))
endif
ifneq ($(CAPHEAP_PORT),user)
ifeq ($(wildcard $(CAPHEAP_DIR)/src/ports/$(CAPHEAP_PORT)/*.c),)
$(error capheap.mk: unknown CAPHEAP_PORT '$(CAPHEAP_PORT)')
endif
endif

CAPHEAP_SOURCES := \
  $(wildcard $(CAPHEAP_DIR)/src/core/*.c) \
  $(wildcard $(CAPHEAP_DIR)/src/caps/*.c) \
  $(CAPHEAP_DIR)/src/chips/chips.c \
  $(foreach c,$(CAPHEAP_CHIPS),$(CAPHEAP_DIR)/src/chips/$(c).c) \
  $(wildcard $(CAPHEAP_DIR)/src/system/*.c) \
  $(wildcard $(CAPHEAP_DIR)/src/output/*.c) \
  $(wildcard $(CAPHEAP_DIR)/src/debug/*.c)
ifeq ($(CAPHEAP_ESP_IDF_API),1)
CAPHEAP_SOURCES += $(wildcard $(CAPHEAP_DIR)/src/compat/*.c)
endif
ifeq ($(CAPHEAP_LIBC),1)
CAPHEAP_SOURCES += $(wildcard $(CAPHEAP_DIR)/src/libc/*.c)
endif
ifneq ($(CAPHEAP_PORT),user)
CAPHEAP_SOURCES += $(wildcard $(CAPHEAP_DIR)/src/ports/$(CAPHEAP_PORT)/*.c)
endif
ifeq ($(CAPHEAP_SIM),1)
CAPHEAP_SOURCES += $(wildcard $(CAPHEAP_DIR)/src/sim/*.c)
endif

# src/ is for capheap's own files only (their private headers); harmless
# to the application's, whose names cannot clash with capheap/... paths.
CAPHEAP_INCLUDES := -I$(CAPHEAP_DIR)/include -I$(CAPHEAP_DIR)/include/compat \
  -I$(CAPHEAP_DIR)/src

CAPHEAP_DEFINES := -DCAPHEAP_CHIPS_SELECTED \
  $(foreach c,$(CAPHEAP_CHIPS),-DCAPHEAP_CHIP_$(shell echo $(c) | tr a-z A-Z)) \
  $(addprefix -D,$(CAPHEAP_DIAGNOSTICS))
ifeq ($(CAPHEAP_PORT),none)
CAPHEAP_DEFINES += -DCAPHEAP_PORT_NONE
endif
# esp_heap_task_info.h takes TaskHandle_t from FreeRTOS's task.h.
ifeq ($(CAPHEAP_PORT),freertos)
CAPHEAP_DEFINES += -DCAPHEAP_PORT_FREERTOS
endif
# The system heap simulates its chip and starts lazily only with the
# simulation's sources (capheap/system.h).
CAPHEAP_DEFINES += -DCAPHEAP_SYSTEM_SIM=$(CAPHEAP_SIM)
ifneq ($(CAPHEAP_SYSTEM_CHIP),)
CAPHEAP_DEFINES += -DCAPHEAP_SYSTEM_CHIP=$(CAPHEAP_SYSTEM_CHIP)
endif
ifeq ($(CAPHEAP_REPLACE_LIBC_MALLOC),1)
CAPHEAP_DEFINES += -DCAPHEAP_REPLACE_LIBC_MALLOC
endif
ifneq ($(CAPHEAP_CONFIG_HEADER),)
CAPHEAP_DEFINES += '-DCAPHEAP_CONFIG_HEADER="$(CAPHEAP_CONFIG_HEADER)"'
endif
