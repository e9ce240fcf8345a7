package io.switchyard.chat;

record SendMessageRequest(String text) {
}
