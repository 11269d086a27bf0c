package dev.steering.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubSettingsTest {

    @TempDir
    Path home;

    @Test
    void defaults() {
        HubSettings s = HubSettings.fromEnvironment(Map.of(), home);
        assertEquals(URI.create("https://huggingface.co"), s.endpoint());
        assertEquals(Optional.empty(), s.token());
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cacheDir());
        assertFalse(s.offline());
    }

    @Test
    void cacheDirectoryPrecedence() {
        assertEquals(home.resolve("hf/hub"), HubSettings.fromEnvironment(Map.of("HF_HOME", home + "/hf"), home).cacheDir());
        assertEquals(home.resolve("xdg/huggingface/hub"),
                HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", home + "/xdg"), home).cacheDir());
        assertEquals(home.resolve("c"), HubSettings.fromEnvironment(
                Map.of("HF_HOME", home + "/hf", "HF_HUB_CACHE", "~/c"), home).cacheDir());
        assertEquals(home.resolve("legacy"), HubSettings.fromEnvironment(
                Map.of("HUGGINGFACE_HUB_CACHE", home + "/legacy"), home).cacheDir());
    }

    @Test
    void endpointAndOffline() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "http://127.0.0.1:8080/", "HF_HUB_OFFLINE", "1"), home);
        assertEquals(URI.create("http://127.0.0.1:8080"), s.endpoint());
        assertTrue(s.offline());
        assertTrue(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "TRUE"), home).offline());
        assertTrue(HubSettings.fromEnvironment(Map.of("TRANSFORMERS_OFFLINE", "yes"), home).offline());
        assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0"), home).offline());
        assertFalse(s.withOffline(false).offline());
    }

    @Test
    void tokenPrecedence() throws Exception {
        Path hfHome = Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(hfHome.resolve("token"), "hf_file\n");
        assertEquals(Optional.of("hf_file"), HubSettings.fromEnvironment(Map.of(), home).token());
        assertEquals(Optional.of("hf_legacy"),
                HubSettings.fromEnvironment(Map.of("HUGGING_FACE_HUB_TOKEN", "hf_legacy"), home).token());
        assertEquals(Optional.of("hf_env"), HubSettings.fromEnvironment(
                Map.of("HF_TOKEN", "hf_env", "HUGGING_FACE_HUB_TOKEN", "hf_legacy"), home).token());
        Files.writeString(home.resolve("elsewhere"), "hf_path");
        assertEquals(Optional.of("hf_path"),
                HubSettings.fromEnvironment(Map.of("HF_TOKEN_PATH", home + "/elsewhere"), home).token());
        assertEquals(Optional.of("hf_file"), HubSettings.fromEnvironment(Map.of("HF_TOKEN", " "), home).token());
    }

    @Test
    void toStringHidesToken() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_secret"), home);
        assertFalse(s.toString().contains("hf_secret"), s.toString());
    }
}
