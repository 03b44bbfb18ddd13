/** @module services/mwi-link: the name of the built-in PBX link that sends MWI NOTIFYs. */
export const MWI_LINK = "sip-mwi";
