# program.mk - tools/size/esp32_program.c built as the README tells
# firmware to build capheap: capheap.mk with port none, the ESP32 table as
# the system heap's chip and capheap's malloc(). Run by tools/cross.sh
# budget, once per target:
#   make -f tools/size/program.mk OUT=<dir> CC=<compiler> \
#     TARGET_FLAGS='<-mcpu... -Os ...>' LINK_FLAGS='<specs...>'
# Objects go to $(OUT)/obj/src/<component>/, the program to
# $(OUT)/esp32_program.elf with its map $(OUT)/esp32_program.map.
CAPHEAP_PORT := none
CAPHEAP_CHIPS := esp32
CAPHEAP_SYSTEM_CHIP := capheap_chip_esp32
CAPHEAP_REPLACE_LIBC_MALLOC := 1
CAPHEAP_DIR := $(patsubst %/tools/size/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
include $(CAPHEAP_DIR)/capheap.mk

OUT ?= build-size
CFLAGS := $(TARGET_FLAGS) -std=c11 -Wall -Wextra -Werror -pedantic \
  -DNDEBUG -ffunction-sections -fdata-sections
OBJS := $(patsubst $(CAPHEAP_DIR)/%.c,$(OUT)/obj/%.o,$(CAPHEAP_SOURCES))

$(OUT)/esp32_program.elf: $(OUT)/esp32_program.o $(OBJS)
	$(CC) $(CFLAGS) $^ $(LINK_FLAGS) -Wl,--gc-sections \
	  -Wl,-Map=$(OUT)/esp32_program.map -o $@

$(OUT)/esp32_program.o: $(CAPHEAP_DIR)/tools/size/esp32_program.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CAPHEAP_INCLUDES) $(CAPHEAP_DEFINES) -c $< -o $@

$(OUT)/obj/%.o: $(CAPHEAP_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CAPHEAP_INCLUDES) $(CAPHEAP_DEFINES) -c $< -o $@
