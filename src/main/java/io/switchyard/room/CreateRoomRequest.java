package io.switchyard.room;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

record CreateRoomRequest(@NotBlank @Size(max = Room.NAME_MAX) String name) {
}
